#ifndef REQ_H
#define REQ_H
#endif
