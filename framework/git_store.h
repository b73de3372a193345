/*
 * Baselines in git through libgit2: resolving the base commit a run is
 * compared with, reading a file straight from the object database at a
 * commit (the work tree is never read or changed), committing baseline
 * files (to the current branch or to a dedicated branch without a
 * checkout), and walking a file's history.
 */
#ifndef PG_GIT_STORE_H
#define PG_GIT_STORE_H

#include <stddef.h>

typedef struct pg_git pg_git;

/* Opens the repository containing path (searching upwards, like git).
 * PG_ENOTFOUND with a message when path is not inside a repository.
 * Free with pg_git_free. */
int pg_git_open(pg_git **out, const char *path);
void pg_git_free(pg_git *g);
/* The work tree's root with a trailing '/', or NULL for a bare repository. */
const char *pg_git_workdir(const pg_git *g);
/* Whether the repository is a shallow clone. */
int pg_git_is_shallow(const pg_git *g);

/* Resolves HEAD to a commit id (40 hex digits + NUL). PG_ENOTFOUND when
 * HEAD is unborn. */
int pg_git_head(char out[41], pg_git *g);

/* Resolves the commit whose baseline a run is compared with. ref non-NULL:
 * any revision git understands (sha, branch, tag, origin/main, HEAD~2).
 * ref NULL: the merge-base of HEAD with the base branch, chosen in this
 * order: $CI_MERGE_REQUEST_DIFF_BASE_SHA (used as is), $GITHUB_BASE_REF
 * (origin/<it>, else <it>), default_branch when non-NULL, else
 * origin/HEAD's target, else the first of main, master that exists
 * (local or origin/). how (may be NULL) says in words what was chosen
 * ("merge-base of HEAD and origin/main"). When the commit is missing from
 * a shallow clone, or the merge-base cannot be found in one, fails with
 * PG_ENOTFOUND and a message telling how to fetch more history
 * (actions/checkout fetch-depth: 0, GIT_DEPTH: 0 in GitLab, or
 * git fetch --unshallow). */
int pg_git_resolve_base(char out[41], char *how, size_t how_size, pg_git *g, const char *ref,
			const char *default_branch);

/* Reads path (relative to the repository root, '/' separated) from the
 * tree of commit (40 hex). *out is malloc'd and NUL-terminated (caller
 * frees), *len its length. PG_ENOTFOUND when the commit has no such file. */
int pg_git_read_file(char **out, size_t *len, pg_git *g, const char *commit, const char *path);

/* Author/committer identity: $PERFGATE_GIT_AUTHOR ("Name <email>") when
 * set, else user.name/user.email from git config. PG_ENOTFOUND with a
 * message saying how to set one when neither is available. Writes
 * "Name <email>" into out. */
int pg_git_identity(char *out, size_t size, pg_git *g);

/* Commits the work-tree files paths[0..n) (repository-relative) with
 * message. branch NULL: commits on HEAD's branch (HEAD may be unborn),
 * staging exactly these paths in the index; refuses with PG_EINVAL and a
 * message naming one such path when the index holds staged changes to
 * any other path. branch non-NULL: commits to refs/heads/<branch> (created
 * as a root commit when missing) a tree equal to the branch tip's with
 * these files replaced, without touching HEAD, the index or the work
 * tree. Writes the new commit id to out. */
int pg_git_commit_files(char out[41], pg_git *g, const char *const *paths, size_t n,
			const char *message, const char *branch);

/* One version of a file in its history. */
typedef struct pg_git_version {
	char commit[41];
	long long time;   /* committer time, seconds since the epoch */
	char summary[128]; /* first line of the commit message */
	char *content;    /* the file at that commit, malloc'd, NUL-terminated */
	size_t len;
} pg_git_version;

/* Walks first-parent history from ref (NULL: HEAD) and returns, newest
 * first, each commit whose version of path differs from its parent's (the
 * commits that changed it), at most max. *out is malloc'd; free with
 * pg_git_versions_free. */
int pg_git_file_history(pg_git_version **out, size_t *n, pg_git *g, const char *ref,
			const char *path, size_t max);
void pg_git_versions_free(pg_git_version *v, size_t n);

#endif
