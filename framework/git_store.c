/*
 * Baselines in git through libgit2: opening the repository, resolving the
 * base commit, reading files from the object database and walking a file's
 * history. Committing and the author identity are in git_store_commit.c.
 */
#include "git_store.h"

#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Largest file read from the object database (baselines are small JSON). */
#define MAX_FILE_SIZE (64u * 1024 * 1024)

#define SHALLOW_ADVICE                                                                             \
	"this is a shallow clone without enough history; fetch all of it: set "                    \
	"'fetch-depth: 0' on actions/checkout (GitHub), 'GIT_DEPTH: 0' (GitLab CI), or run "       \
	"'git fetch --unshallow'"

struct pg_git {
	git_repository *repo;
};

/* Internal to git_store*.c (declared again in git_store_commit.c). */
git_repository *pg_git_repo(pg_git *g);
int pg_git_fail(int gerr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The repository handle, owned by g. */
git_repository *pg_git_repo(pg_git *g)
{
	return g->repo;
}

static int pg_code(int gerr)
{
	switch (gerr) {
	case GIT_ENOTFOUND:
	case GIT_EUNBORNBRANCH:
		return PG_ENOTFOUND;
	case GIT_EINVALIDSPEC:
	case GIT_EAMBIGUOUS:
	case GIT_EINVALID:
	case GIT_EPEEL:
	case GIT_EBAREREPO:
	case GIT_EDIRECTORY:
		return PG_EINVAL;
	case GIT_EBUFS:
		return PG_ELIMIT;
	default:
		return PG_ERROR;
	}
}

/* Sets the message "<what>: <libgit2's message>" and returns the PG_E code
 * for the libgit2 error gerr. */
int pg_git_fail(int gerr, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	pg_error_set("%s: %s", what, e && e->message ? e->message : "unknown libgit2 error");
	return pg_code(gerr);
}

static void set_how(char *how, size_t how_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_how(char *how, size_t how_size, const char *fmt, ...)
{
	va_list ap;

	if (!how || how_size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(how, how_size, fmt, ap);
	va_end(ap);
}

int pg_git_open(pg_git **out, const char *path)
{
	pg_git *g = NULL;
	int rc = 0, err;

	*out = NULL;
	if (git_libgit2_init() < 0)
		return pg_git_fail(GIT_ERROR, "initialising libgit2");
	g = calloc(1, sizeof(*g));
	if (!g) {
		pg_error_set("out of memory opening the git repository");
		rc = PG_ENOMEM;
		goto done;
	}
	err = git_repository_open_ext(&g->repo, path, 0, NULL);
	if (err == GIT_ENOTFOUND) {
		pg_error_set("'%s' is not inside a git repository", path);
		rc = PG_ENOTFOUND;
	} else if (err == GIT_EOWNER) {
		rc = pg_git_fail(err,
				 "opening the git repository at '%s' (if this is CI, run "
				 "git config --global --add safe.directory <repo>)",
				 path);
	} else if (err < 0) {
		rc = pg_git_fail(err, "opening the git repository at '%s'", path);
	}
	if (rc)
		goto done;
	*out = g;
	g = NULL;
done:
	if (g) {
		git_repository_free(g->repo);
		free(g);
	}
	if (rc)
		git_libgit2_shutdown();
	return rc;
}

void pg_git_free(pg_git *g)
{
	if (!g)
		return;
	git_repository_free(g->repo);
	free(g);
	git_libgit2_shutdown();
}

const char *pg_git_workdir(const pg_git *g)
{
	return git_repository_workdir(g->repo);
}

int pg_git_is_shallow(const pg_git *g)
{
	return git_repository_is_shallow(g->repo) == 1;
}

/* Resolves spec to the commit it names (peeling tags). Returns libgit2's
 * code and sets no message; *out is freed by the caller. */
static int peel_commit(git_commit **out, git_repository *repo, const char *spec)
{
	git_object *obj = NULL, *peeled = NULL;
	int err;

	*out = NULL;
	err = git_revparse_single(&obj, repo, spec);
	if (err == 0)
		err = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (err == 0)
		*out = (git_commit *)peeled;
	return err;
}

/* Message for a revision that failed to resolve; a missing one in a shallow
 * clone gets the advice on fetching more history. */
static int revision_error(pg_git *g, int err, const char *what, const char *spec)
{
	if (err == GIT_ENOTFOUND && pg_git_is_shallow(g)) {
		pg_error_set("%s '%s' not found; %s", what, spec, SHALLOW_ADVICE);
		return PG_ENOTFOUND;
	}
	if (err == GIT_ENOTFOUND) {
		pg_error_set("%s '%s' not found in the repository", what, spec);
		return PG_ENOTFOUND;
	}
	return pg_git_fail(err, "resolving %s '%s'", what, spec);
}

static int head_unborn(pg_git *g)
{
	int err = git_repository_head_unborn(g->repo);

	if (err == 1) {
		pg_error_set("HEAD has no commits yet");
		return PG_ENOTFOUND;
	}
	if (err < 0)
		return pg_git_fail(err, "reading HEAD");
	return 0;
}

int pg_git_head(char out[41], pg_git *g)
{
	git_oid id;
	int rc, err;

	out[0] = '\0';
	rc = head_unborn(g);
	if (rc)
		return rc;
	err = git_reference_name_to_id(&id, g->repo, "HEAD");
	if (err < 0)
		return pg_git_fail(err, "resolving HEAD");
	git_oid_tostr(out, 41, &id);
	return 0;
}

static void append(char *buf, size_t size, const char *text)
{
	size_t used = strlen(buf);

	if (used + 1 < size)
		snprintf(buf + used, size - used, "%s%s", used ? ", " : "", text);
}

/* Tries one candidate base spec. 1 found (*out set, its name in name),
 * 0 not there, negative PG_E code on another failure. */
static int try_candidate(git_commit **out, char *name, size_t name_size, char *tried,
			 size_t tried_size, pg_git *g, const char *spec)
{
	int err;

	append(tried, tried_size, spec);
	err = peel_commit(out, g->repo, spec);
	if (err == GIT_ENOTFOUND || err == GIT_EINVALIDSPEC || err == GIT_EAMBIGUOUS)
		return 0;
	if (err < 0)
		return pg_git_fail(err, "resolving base branch '%s'", spec);
	snprintf(name, name_size, "%s", spec);
	return 1;
}

/* origin/<branch>, then <branch>. */
static int try_branch(git_commit **out, char *name, size_t name_size, char *tried,
		      size_t tried_size, pg_git *g, const char *branch)
{
	char remote[512];
	int rc;

	snprintf(remote, sizeof(remote), "origin/%s", branch);
	rc = try_candidate(out, name, name_size, tried, tried_size, g, remote);
	if (rc == 0)
		rc = try_candidate(out, name, name_size, tried, tried_size, g, branch);
	return rc;
}

/* The branch refs/remotes/origin/HEAD points at, as "origin/main". */
static int try_origin_head(git_commit **out, char *name, size_t name_size, char *tried,
			   size_t tried_size, pg_git *g)
{
	git_reference *ref = NULL;
	const char *target;
	int rc = 0;

	if (git_reference_lookup(&ref, g->repo, "refs/remotes/origin/HEAD") < 0 ||
	    git_reference_type(ref) != GIT_REFERENCE_SYMBOLIC) {
		append(tried, tried_size, "origin/HEAD");
		goto done;
	}
	target = git_reference_symbolic_target(ref);
	if (strncmp(target, "refs/remotes/", 13) == 0)
		target += 13;
	rc = try_candidate(out, name, name_size, tried, tried_size, g, target);
done:
	git_reference_free(ref);
	return rc;
}

/* Picks the base branch when no ref was given (see git_store.h for the
 * order). An explicitly named branch that is missing is an error rather
 * than a reason to guess another. */
static int find_base_branch(git_commit **out, char *name, size_t name_size, pg_git *g,
			    const char *default_branch)
{
	static const char *const fallbacks[] = {"main", "master"};
	const char *env = getenv("GITHUB_BASE_REF");
	char tried[1024] = "", label[64] = "";
	size_t i;
	int rc = 0;

	if (env && *env) {
		rc = try_branch(out, name, name_size, tried, sizeof(tried), g, env);
		snprintf(label, sizeof(label), " from $GITHUB_BASE_REF");
	} else if (default_branch && *default_branch) {
		rc = try_branch(out, name, name_size, tried, sizeof(tried), g, default_branch);
		snprintf(label, sizeof(label), " from the configured default branch");
	} else {
		rc = try_origin_head(out, name, name_size, tried, sizeof(tried), g);
		for (i = 0; rc == 0 && i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++)
			rc =
			    try_branch(out, name, name_size, tried, sizeof(tried), g, fallbacks[i]);
	}
	if (rc != 0)
		return rc < 0 ? rc : 0;
	pg_error_set("no base branch found (tried %s%s); pass --baseline REF%s%s", tried, label,
		     pg_git_is_shallow(g) ? "; " : "", pg_git_is_shallow(g) ? SHALLOW_ADVICE : "");
	return PG_ENOTFOUND;
}

int pg_git_resolve_base(char out[41], char *how, size_t how_size, pg_git *g, const char *ref,
			const char *default_branch)
{
	const char *env = getenv("CI_MERGE_REQUEST_DIFF_BASE_SHA");
	git_commit *base = NULL;
	git_oid head, mb;
	char name[512];
	int rc = 0, err;

	out[0] = '\0';
	set_how(how, how_size, "%s", "");
	if (ref || (env && *env)) {
		const char *what = ref ? "revision" : "$CI_MERGE_REQUEST_DIFF_BASE_SHA";
		const char *spec = ref ? ref : env;

		err = peel_commit(&base, g->repo, spec);
		if (err < 0) {
			rc = revision_error(g, err, what, spec);
			goto done;
		}
		git_oid_tostr(out, 41, git_commit_id(base));
		set_how(how, how_size, "%s %s (%.7s)", what, spec, out);
		goto done;
	}
	rc = find_base_branch(&base, name, sizeof(name), g, default_branch);
	if (rc == 0)
		rc = head_unborn(g);
	if (rc)
		goto done;
	err = git_reference_name_to_id(&head, g->repo, "HEAD");
	if (err < 0) {
		rc = pg_git_fail(err, "resolving HEAD");
		goto done;
	}
	err = git_merge_base(&mb, g->repo, &head, git_commit_id(base));
	if (err < 0 && pg_git_is_shallow(g)) {
		pg_error_set("cannot find the merge-base of HEAD and %s; %s", name, SHALLOW_ADVICE);
		rc = PG_ENOTFOUND;
	} else if (err == GIT_ENOTFOUND) {
		pg_error_set("HEAD and %s have no common ancestor; pass --baseline REF", name);
		rc = PG_ENOTFOUND;
	} else if (err < 0) {
		rc = pg_git_fail(err, "finding the merge-base of HEAD and %s", name);
	}
	if (rc)
		goto done;
	git_oid_tostr(out, 41, &mb);
	set_how(how, how_size, "merge-base of HEAD and %s", name);
done:
	git_commit_free(base);
	return rc;
}

/* Copies blob id's content into a malloc'd NUL-terminated buffer. */
static int read_blob(char **out, size_t *len, git_repository *repo, const git_oid *id,
		     const char *path, const char *at)
{
	git_blob *blob = NULL;
	git_object_size_t size;
	int rc = 0, err;

	err = git_blob_lookup(&blob, repo, id);
	if (err < 0)
		return pg_git_fail(err, "reading %s at %.7s", path, at);
	size = git_blob_rawsize(blob);
	if (size > MAX_FILE_SIZE) {
		pg_error_set("reading %s at %.7s: %llu bytes is over the %u-byte limit", path, at,
			     (unsigned long long)size, MAX_FILE_SIZE);
		rc = PG_ELIMIT;
		goto done;
	}
	*out = malloc((size_t)size + 1);
	if (!*out) {
		pg_error_set("reading %s at %.7s: out of memory", path, at);
		rc = PG_ENOMEM;
		goto done;
	}
	memcpy(*out, git_blob_rawcontent(blob), (size_t)size);
	(*out)[size] = '\0';
	*len = (size_t)size;
done:
	git_blob_free(blob);
	return rc;
}

/* The blob id of path in commit c: 1 present, 0 absent (or not a file),
 * negative PG_E code on failure. */
static int blob_at(git_oid *out, git_commit *c, const char *path)
{
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	int rc = 0, err;

	err = git_commit_tree(&tree, c);
	if (err < 0) {
		rc = pg_git_fail(err, "reading the tree of commit %.7s",
				 git_oid_tostr_s(git_commit_id(c)));
		goto done;
	}
	err = git_tree_entry_bypath(&entry, tree, path);
	if (err == GIT_ENOTFOUND)
		goto done;
	if (err < 0) {
		rc = pg_git_fail(err, "looking up %s at %.7s", path,
				 git_oid_tostr_s(git_commit_id(c)));
		goto done;
	}
	if (git_tree_entry_type(entry) == GIT_OBJECT_BLOB) {
		git_oid_cpy(out, git_tree_entry_id(entry));
		rc = 1;
	}
done:
	git_tree_entry_free(entry);
	git_tree_free(tree);
	return rc;
}

int pg_git_read_file(char **out, size_t *len, pg_git *g, const char *commit, const char *path)
{
	git_commit *c = NULL;
	git_oid id;
	int rc, err;

	*out = NULL;
	*len = 0;
	err = peel_commit(&c, g->repo, commit);
	if (err < 0) {
		rc = revision_error(g, err, "commit", commit);
		pg_error_prefix("reading %s at %.7s", path, commit);
		return rc;
	}
	rc = blob_at(&id, c, path);
	if (rc == 0) {
		pg_error_set("reading %s at %.7s: no such file in that commit", path, commit);
		rc = PG_ENOTFOUND;
	} else if (rc == 1) {
		rc = read_blob(out, len, g->repo, &id, path, commit);
	}
	git_commit_free(c);
	return rc;
}

/* Appends c's version of path (blob id) to *v, growing it. */
static int add_version(pg_git_version **v, size_t *n, size_t *cap, size_t max, pg_git *g,
		       git_commit *c, const git_oid *blob, const char *path)
{
	pg_git_version *x;
	const char *msg = git_commit_message(c);
	size_t k = 0;
	int rc;

	if (*n == *cap) {
		size_t want = *cap ? *cap * 2 : 8;

		if (want > max)
			want = max;
		x = realloc(*v, want * sizeof(**v));
		if (!x) {
			pg_error_set("reading the history of %s: out of memory", path);
			return PG_ENOMEM;
		}
		*v = x;
		*cap = want;
	}
	x = &(*v)[*n];
	memset(x, 0, sizeof(*x));
	git_oid_tostr(x->commit, sizeof(x->commit), git_commit_id(c));
	x->time = (long long)git_commit_time(c);
	while (msg && msg[k] && msg[k] != '\n' && k + 1 < sizeof(x->summary))
		k++;
	/* do not cut a UTF-8 sequence in half */
	if (msg && msg[k] && msg[k] != '\n')
		while (k > 0 && ((unsigned char)msg[k] & 0xC0) == 0x80)
			k--;
	if (k)
		memcpy(x->summary, msg, k);
	x->summary[k] = '\0';
	rc = read_blob(&x->content, &x->len, g->repo, blob, path, x->commit);
	if (rc == 0)
		(*n)++;
	return rc;
}

/* A first-parent walk done by hand rather than with git_revwalk: each step
 * needs the parent's tree anyway, and a parent missing from a shallow clone
 * ends the walk instead of failing it. */
int pg_git_file_history(pg_git_version **out, size_t *n, pg_git *g, const char *ref,
			const char *path, size_t max)
{
	const char *spec = ref ? ref : "HEAD";
	git_commit *c = NULL, *parent = NULL;
	pg_git_version *v = NULL;
	size_t count = 0, cap = 0;
	git_oid blob, pblob;
	int rc = 0, err, has, phas;

	*out = NULL;
	*n = 0;
	if (!ref && (rc = head_unborn(g)) != 0)
		return rc;
	err = peel_commit(&c, g->repo, spec);
	if (err < 0)
		return revision_error(g, err, "revision", spec);
	has = blob_at(&blob, c, path);
	while (c && has >= 0 && count < max) {
		phas = 0;
		if (git_commit_parentcount(c) > 0) {
			err = git_commit_parent(&parent, c, 0);
			if (err < 0 && !(err == GIT_ENOTFOUND && pg_git_is_shallow(g))) {
				rc = pg_git_fail(err, "reading the parent of %.7s",
						 git_oid_tostr_s(git_commit_id(c)));
				goto done;
			}
			if (parent)
				phas = blob_at(&pblob, parent, path);
		}
		if (phas < 0) {
			rc = phas;
			goto done;
		}
		if (has && (!phas || !git_oid_equal(&blob, &pblob))) {
			rc = add_version(&v, &count, &cap, max, g, c, &blob, path);
			if (rc)
				goto done;
		}
		git_commit_free(c);
		c = parent;
		parent = NULL;
		has = phas;
		if (phas)
			git_oid_cpy(&blob, &pblob);
	}
	if (has < 0)
		rc = has;
done:
	git_commit_free(parent);
	git_commit_free(c);
	if (rc) {
		pg_git_versions_free(v, count);
		return rc;
	}
	*out = v;
	*n = count;
	return 0;
}

void pg_git_versions_free(pg_git_version *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i].content);
	free(v);
}
