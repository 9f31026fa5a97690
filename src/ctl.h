#ifndef CTL_H
#define CTL_H
#endif
