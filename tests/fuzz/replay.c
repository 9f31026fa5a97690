/*
 * Replays a fuzz target's corpus without libFuzzer, so that `make check`
 * runs every seed (under ASan in the sanitizer build).  Arguments are
 * files or directories; without any, the corpus of this program's name:
 * fuzz_NAME reads $top_srcdir/tests/fuzz/corpus/NAME.  Output is TAP.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_FILE_MAX	(1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int	n;

/* Feed one file; an exact-size copy lets ASan see any overread. */
static int
replay_file(const char *path)
{
	FILE		*fp;
	unsigned char	*buf;
	size_t		 len;

	if ((fp = fopen(path, "rb")) == NULL) {
		printf("not ok %d - %s: cannot open\n", ++n, path);
		return -1;
	}
	if ((buf = malloc(REPLAY_FILE_MAX)) == NULL) {
		fclose(fp);
		return -1;
	}
	len = fread(buf, 1, REPLAY_FILE_MAX, fp);
	if (ferror(fp) || fclose(fp) != 0) {
		free(buf);
		printf("not ok %d - %s: read error\n", ++n, path);
		return -1;
	}
	buf = realloc(buf, len ? len : 1);
	fflush(stdout);
	(void)LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	printf("ok %d - %s\n", ++n, path);
	return 0;
}

static int
replay(const char *path)
{
	struct stat	 st;
	struct dirent	**ents;
	char		 p[4096];
	int		 i, k, rc = 0;

	if (stat(path, &st) == -1) {
		printf("not ok %d - %s: missing\n", ++n, path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	if ((k = scandir(path, &ents, NULL, alphasort)) == -1) {
		printf("not ok %d - %s: cannot read\n", ++n, path);
		return -1;
	}
	for (i = 0; i < k; i++) {
		if (ents[i]->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", path, ents[i]->d_name);
			if (replay(p) != 0)
				rc = -1;
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
main(int argc, char *argv[])
{
	const char	*top, *name;
	char		 dir[4096], self[4096];
	int		 i, rc = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (replay(argv[i]) != 0)
				rc = 1;
	} else {
		if ((top = getenv("top_srcdir")) == NULL)
			top = ".";
		snprintf(self, sizeof(self), "%s", argv[0]);
		name = basename(self);
		if (strncmp(name, "fuzz_", 5) == 0)
			name += 5;
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top,
		    name);
		if (replay(dir) != 0)
			rc = 1;
	}
	printf("1..%d\n", n);
	return rc;
}
