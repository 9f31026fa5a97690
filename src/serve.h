#ifndef SERVE_H
#define SERVE_H
#endif
