/* Passwords kept between the directory write that sets them and the mail
 * that carries them: one fixed-size slot per plan action, in memory locked
 * against swapping where the system allows it, wiped slot by slot when a
 * person is done and wholly on release. Never written anywhere. */
#ifndef LDAPENROLL_PWSTORE_H
#define LDAPENROLL_PWSTORE_H

#include <stddef.h>

struct pwstore {
	char *mem;
	size_t slot, n;
	int locked;
};

/* n slots of slot_size bytes, all empty. Returns 0 or -1 (no memory). */
int pwstore_init(struct pwstore *s, size_t n, size_t slot_size);
/* The slot of action i (slot_size bytes, NUL-terminated when used). */
char *pwstore_slot(struct pwstore *s, size_t i);
/* True when slot i holds a password. */
int pwstore_has(const struct pwstore *s, size_t i);
/* Wipes one slot. */
void pwstore_clear(struct pwstore *s, size_t i);
/* Wipes everything and frees it. */
void pwstore_release(struct pwstore *s);

#endif
