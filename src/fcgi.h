#ifndef FCGI_H
#define FCGI_H
#endif
