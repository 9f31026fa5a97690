#ifndef FORM_H
#define FORM_H
#endif
