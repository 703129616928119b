LIB_SRCS += $(wildcard shared/*.c)
