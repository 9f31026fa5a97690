#ifndef JW_H
#define JW_H
#endif
