#ifndef HTPASSWD_H
#define HTPASSWD_H
#endif
