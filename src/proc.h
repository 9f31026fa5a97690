/*
 * The process-wide settings of the authgate program, made in one place
 * before it serves: the allocator's (glibc and OpenSSL's, which work
 * together: see proc.c) and the verified-token cache's.
 */
#ifndef PROC_H
#define PROC_H

#include <stdbool.h>

/* Call once, first thing in main: the allocator settings. */
void	proc_init(void);
/* The transport is known: FastCGI workers serve many requests and keep
 * a verified-token cache each; a CGI run serves one and keeps none. */
void	proc_serving(bool fastcgi);

#endif
