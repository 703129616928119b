# keyd/: postern-keyd, the holder of the TLS private keys (proto_keyd.h),
# started by posternd; answers the workers' sign and decrypt requests.
PROGS		+= postern-keyd
postern-keyd_SRCS = keyd/keyd.c
MAN8		+= keyd/postern-keyd.8
