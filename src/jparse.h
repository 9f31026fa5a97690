#ifndef JPARSE_H
#define JPARSE_H
#endif
