#ifndef POSTERN_STDIO_DETACH_H
#define POSTERN_STDIO_DETACH_H

void	stdio_detach(void);

#endif
