/* Unit tests for agent/base/hmap.c: insertion, lookup, duplicates, replacing,
 * case-insensitive keys, growth to many keys and iteration. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/hmap.h"
#include "agent/base/oom.h"

static int v1, v2, v3;

static void empty_map(void **state)
{
	struct hmap m;
	size_t pos = 0;
	const char *k;
	void *v;

	(void)state;
	hmap_init(&m, 0);
	assert_int_equal(m.size, 0);
	assert_null(hmap_get(&m, "anything"));
	assert_null(hmap_get(&m, ""));
	assert_int_equal(hmap_next(&m, &pos, &k, &v), 0);
	hmap_release(&m);
}

static void insert_and_get(void **state)
{
	struct hmap m;

	(void)state;
	hmap_init(&m, 0);
	assert_int_equal(hmap_insert(&m, "alpha", &v1, NULL), 1);
	assert_int_equal(hmap_insert(&m, "beta", &v2, NULL), 1);
	assert_int_equal(hmap_insert(&m, "", &v3, NULL), 1);
	assert_int_equal(m.size, 3);
	assert_ptr_equal(hmap_get(&m, "alpha"), &v1);
	assert_ptr_equal(hmap_get(&m, "beta"), &v2);
	assert_ptr_equal(hmap_get(&m, ""), &v3);
	assert_null(hmap_get(&m, "gamma"));
	assert_null(hmap_get(&m, "alph"));
	assert_null(hmap_get(&m, "alphaa"));
	hmap_release(&m);
}

static void keys_are_compared_by_content(void **state)
{
	struct hmap m;
	char key[] = "dynamic";
	char copy[] = "dynamic";

	(void)state;
	hmap_init(&m, 0);
	assert_int_equal(hmap_insert(&m, key, &v1, NULL), 1);
	assert_ptr_equal(hmap_get(&m, copy), &v1);
	hmap_release(&m);
}

static void duplicate_insert_keeps_first(void **state)
{
	struct hmap m;
	void *existing = NULL;

	(void)state;
	hmap_init(&m, 0);
	assert_int_equal(hmap_insert(&m, "key", &v1, NULL), 1);
	assert_int_equal(hmap_insert(&m, "key", &v2, &existing), 0);
	assert_ptr_equal(existing, &v1);
	assert_ptr_equal(hmap_get(&m, "key"), &v1);
	assert_int_equal(m.size, 1);
	/* existing may be omitted. */
	assert_int_equal(hmap_insert(&m, "key", &v3, NULL), 0);
	assert_ptr_equal(hmap_get(&m, "key"), &v1);
	hmap_release(&m);
}

static void set_inserts_or_replaces(void **state)
{
	struct hmap m;

	(void)state;
	hmap_init(&m, 0);
	assert_int_equal(hmap_set(&m, "k", &v1), 0);
	assert_int_equal(m.size, 1);
	assert_ptr_equal(hmap_get(&m, "k"), &v1);
	assert_int_equal(hmap_set(&m, "k", &v2), 0);
	assert_int_equal(m.size, 1);
	assert_ptr_equal(hmap_get(&m, "k"), &v2);
	hmap_release(&m);
}

static void case_sensitive_by_default(void **state)
{
	struct hmap m;

	(void)state;
	hmap_init(&m, 0);
	assert_int_equal(hmap_insert(&m, "Key", &v1, NULL), 1);
	assert_int_equal(hmap_insert(&m, "key", &v2, NULL), 1);
	assert_ptr_equal(hmap_get(&m, "Key"), &v1);
	assert_ptr_equal(hmap_get(&m, "key"), &v2);
	assert_null(hmap_get(&m, "KEY"));
	hmap_release(&m);
}

static void icase_folds_ascii(void **state)
{
	struct hmap m;
	void *existing = NULL;

	(void)state;
	hmap_init(&m, HMAP_ICASE);
	assert_int_equal(hmap_insert(&m, "JDoe", &v1, NULL), 1);
	assert_ptr_equal(hmap_get(&m, "jdoe"), &v1);
	assert_ptr_equal(hmap_get(&m, "JDOE"), &v1);
	assert_int_equal(hmap_insert(&m, "jDOE", &v2, &existing), 0);
	assert_ptr_equal(existing, &v1);
	assert_int_equal(m.size, 1);
	assert_null(hmap_get(&m, "jdoe2"));
	assert_int_equal(hmap_set(&m, "JDOE", &v3), 0);
	assert_int_equal(m.size, 1);
	assert_ptr_equal(hmap_get(&m, "jdoe"), &v3);
	/* Only ASCII is folded. */
	assert_int_equal(hmap_insert(&m, "\xc3\x89", &v1, NULL), 1);
	assert_null(hmap_get(&m, "\xc3\xa9"));
	hmap_release(&m);

	assert_int_equal(hmap_hash("ABC-xyz", HMAP_ICASE), hmap_hash("abc-XYZ", HMAP_ICASE));
	assert_int_equal(hmap_hash("abc", 0), hmap_hash("abc", 0));
	assert_int_not_equal(hmap_hash("ABC", 0), hmap_hash("abc", 0));
}

/* The hash folds eight bytes at a time: every byte value, at every place
 * of a word and in the tail, hashes without case exactly as its ASCII
 * lower-case form, and no other byte is taken for it. */
static void icase_hash_every_byte(void **state)
{
	char a[20], b[20];
	unsigned c, pos;

	(void)state;
	for (pos = 0; pos < 19; pos++) {
		for (c = 1; c < 256; c++) {
			unsigned lower = c >= 'A' && c <= 'Z' ? c + 32 : c;
			memset(a, 'q', sizeof a - 1);
			a[sizeof a - 1] = '\0';
			memcpy(b, a, sizeof a);
			a[pos] = (char)c;
			b[pos] = (char)lower;
			assert_int_equal(hmap_hash(a, HMAP_ICASE), hmap_hash(b, HMAP_ICASE));
			/* The byte 0x20 apart (a letter's other case, or not
			 * one) is another key unless both are one letter. */
			if (c ^ 0x20 && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
				b[pos] = (char)(c ^ 0x20);
				assert_int_not_equal(hmap_hash(a, HMAP_ICASE), hmap_hash(b, HMAP_ICASE));
			}
		}
	}
	/* Lengths are part of the hash: trailing bytes are not zeros. */
	assert_int_not_equal(hmap_hash("abcdefgh", 0), hmap_hash("abcdefg", 0));
	assert_int_not_equal(hmap_hash("", 0), hmap_hash("a", 0));
}

#define MANY 100000

static void grows_to_many_keys(void **state)
{
	struct hmap m;
	char (*keys)[16] = malloc(MANY * sizeof *keys);
	unsigned char *seen = calloc(MANY, 1);
	size_t i, pos = 0, count = 0;
	const char *k;
	void *v;

	(void)state;
	assert_non_null(keys);
	assert_non_null(seen);
	hmap_init(&m, 0);
	for (i = 0; i < MANY; i++) {
		snprintf(keys[i], sizeof keys[i], "key-%zu", i);
		assert_int_equal(hmap_insert(&m, keys[i], (void *)(uintptr_t)(i + 1), NULL), 1);
	}
	assert_int_equal(m.size, MANY);
	/* The capacity stays a power of two with free slots. */
	assert_int_equal(m.cap & (m.cap - 1), 0);
	assert_true(m.cap > m.size);
	for (i = 0; i < MANY; i++)
		assert_int_equal((uintptr_t)hmap_get(&m, keys[i]), i + 1);
	assert_null(hmap_get(&m, "key-100000"));
	assert_null(hmap_get(&m, "key-"));
	/* A duplicate after growth is still found. */
	assert_int_equal(hmap_insert(&m, "key-12345", NULL, &v), 0);
	assert_int_equal((uintptr_t)v, 12346);

	/* Iteration visits every key once, with its value. */
	while (hmap_next(&m, &pos, &k, &v)) {
		size_t idx = (uintptr_t)v - 1;
		assert_true(idx < MANY);
		assert_ptr_equal(k, keys[idx]);
		assert_int_equal(seen[idx], 0);
		seen[idx] = 1;
		count++;
	}
	assert_int_equal(count, MANY);
	/* And stays at the end. */
	assert_int_equal(hmap_next(&m, &pos, &k, &v), 0);
	hmap_release(&m);
	free(keys);
	free(seen);
}

static void iteration_without_outputs(void **state)
{
	struct hmap m;
	size_t pos = 0, count = 0;

	(void)state;
	hmap_init(&m, 0);
	hmap_insert(&m, "a", &v1, NULL);
	hmap_insert(&m, "b", &v2, NULL);
	while (hmap_next(&m, &pos, NULL, NULL))
		count++;
	assert_int_equal(count, 2);
	hmap_release(&m);
}

static void release_allows_reuse(void **state)
{
	struct hmap m;

	(void)state;
	hmap_init(&m, HMAP_ICASE);
	hmap_insert(&m, "a", &v1, NULL);
	hmap_release(&m);
	assert_int_equal(m.size, 0);
	assert_int_equal(m.cap, 0);
	assert_null(m.slots);
	assert_int_equal(m.flags, HMAP_ICASE);
	assert_null(hmap_get(&m, "a"));
	assert_int_equal(hmap_insert(&m, "A", &v2, NULL), 1);
	assert_ptr_equal(hmap_get(&m, "a"), &v2);
	hmap_release(&m);
}

/* A key that could not be copied (NULL after an allocation failure) is
 * refused like an allocation failure, never hashed. */
static void null_key_is_refused(void **state)
{
	struct hmap m;
	unsigned long before = oom_count();

	(void)state;
	hmap_init(&m, 0);
	assert_int_equal(hmap_insert(&m, NULL, (void *)1, NULL), -1);
	assert_int_equal(hmap_set(&m, NULL, (void *)1), -1);
	assert_int_equal(oom_count(), before + 2);
	assert_int_equal(hmap_insert(&m, "k", (void *)2, NULL), 1);
	assert_null(hmap_get(&m, NULL));
	assert_int_equal(m.size, 1);
	hmap_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_map),
		cmocka_unit_test(null_key_is_refused),
		cmocka_unit_test(insert_and_get),
		cmocka_unit_test(keys_are_compared_by_content),
		cmocka_unit_test(duplicate_insert_keeps_first),
		cmocka_unit_test(set_inserts_or_replaces),
		cmocka_unit_test(case_sensitive_by_default),
		cmocka_unit_test(icase_folds_ascii),
		cmocka_unit_test(icase_hash_every_byte),
		cmocka_unit_test(grows_to_many_keys),
		cmocka_unit_test(iteration_without_outputs),
		cmocka_unit_test(release_allows_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
