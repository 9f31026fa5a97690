#ifndef EP_H
#define EP_H
#endif
