/* Replays inputs through a fuzz target without libFuzzer, so that every
 * build (gcc, and the sanitizer build of the test suite) runs the corpora
 * and the crashes found so far as ordinary tests.
 *
 *   replay_TARGET DIR|FILE...
 *
 * Every regular file of each directory is passed to LLVMFuzzerTestOneInput()
 * in name order; names starting with '.' are skipped (.gitkeep). A missing
 * directory fails the run: a renamed corpus must not pass silently. A
 * violated property aborts, which fails the test. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

/* Runs the target on one file, read into a buffer of exactly its size so
 * that the sanitizers see any read past the end. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t size = 0, alloc = 0, n;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		uint8_t chunk[4096];
		if ((n = fread(chunk, 1, sizeof chunk, f)) == 0)
			break;
		if (size + n > alloc) {
			uint8_t *t = realloc(data, size + n);
			if (!t) {
				free(data);
				fclose(f);
				fprintf(stderr, "replay: %s: out of memory\n", path);
				return -1;
			}
			data = t;
			alloc = size + n;
		}
		memcpy(data + size, chunk, n);
		size += n;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* An empty input still gets a valid pointer. */
	if (!data && !(data = malloc(1)))
		return -1;
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 0;
}

static int skip_hidden(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static int run_dir(const char *dir, size_t *count)
{
	struct dirent **names;
	char path[4096];
	int n, i, rc = 0;

	n = scandir(dir, &names, skip_hidden, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct stat st;
		if (rc == 0 && (size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) < sizeof path &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) < 0)
				rc = -1;
			else
				(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		size_t count = 0;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) < 0 : run_file(argv[i]) < 0)
			return 1;
		printf("replay: %s: %zu input(s) passed\n", argv[i], S_ISDIR(st.st_mode) ? count : 1);
	}
	return 0;
}
