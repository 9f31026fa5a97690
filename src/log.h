/*
 * One-line logging to standard error (the web server's error log).
 * Untrusted text is escaped so it cannot forge a line.
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>

/* Set the program name that prefixes each line. */
void	log_init(const char *prog);
/* Lines as JSON objects from now on (log_format = json). */
void	log_json(bool on);
/* Log one line: "prog[pid]: message"; control bytes escaped as \xHH. */
void	log_msg(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* As log_msg, then exit(1): for start-up failures only. */
void	log_fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
