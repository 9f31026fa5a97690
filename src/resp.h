#ifndef RESP_H
#define RESP_H
#endif
