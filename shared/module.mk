LIB_SRCS += shared/buf.c
