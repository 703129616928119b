# shared/: what every postern process uses (framing, the policy channel's
# words, the configuration reader, logging, privileges, the seccomp
# builder, buffers, the audit chain).  Every program links libshared.a.
ARCHIVES	+= shared
shared_SRCS	:= $(wildcard shared/*.c)
