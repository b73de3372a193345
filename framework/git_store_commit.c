/*
 * Committing baseline files with libgit2, either on HEAD's branch through
 * the index or onto a dedicated branch without a checkout, and the
 * author/committer identity used for those commits.
 */
#include "git_store.h"

#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"

/* Defined in git_store.c; the module has no private header, so they are
 * declared here and there with the same text. */
git_repository *pg_git_repo(pg_git *g);
int pg_git_fail(int gerr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define AUTHOR_ENV "PERFGATE_GIT_AUTHOR"

/* Splits "Name <email>" strictly: a non-empty name without '<', '>' or
 * surrounding blanks, one space, then a non-empty email in angle brackets
 * without blanks, and nothing after it. 0 or -1. */
static int split_author(char *name, size_t name_size, char *email, size_t email_size,
			const char *text)
{
	const char *lt = strchr(text, '<');
	size_t nlen, elen, i;

	if (!lt || lt - text < 2 || lt[-1] != ' ')
		return -1;
	nlen = (size_t)(lt - text) - 1;
	elen = strlen(lt + 1);
	if (elen < 2 || lt[elen] != '>')
		return -1;
	elen--;
	if (nlen >= name_size || elen >= email_size)
		return -1;
	for (i = 0; i < nlen; i++)
		if (text[i] == '>' || (unsigned char)text[i] < 0x20)
			return -1;
	if (text[0] == ' ' || text[nlen - 1] == ' ')
		return -1;
	for (i = 0; i < elen; i++)
		if (lt[1 + i] == '<' || lt[1 + i] == '>' || (unsigned char)lt[1 + i] <= 0x20)
			return -1;
	memcpy(name, text, nlen);
	name[nlen] = '\0';
	memcpy(email, lt + 1, elen);
	email[elen] = '\0';
	return 0;
}

/* The signature for new commits (now); freed by the caller with
 * git_signature_free. */
static int signature(git_signature **out, pg_git *g)
{
	const char *env = getenv(AUTHOR_ENV);
	char name[256], email[256];
	int err;

	*out = NULL;
	if (env && *env) {
		if (split_author(name, sizeof(name), email, sizeof(email), env) < 0) {
			pg_error_set("%s='%s' is not of the form 'Name <email>'", AUTHOR_ENV, env);
			return PG_EINVAL;
		}
		err = git_signature_now(out, name, email);
		if (err < 0)
			return pg_git_fail(err, "using %s='%s'", AUTHOR_ENV, env);
		return 0;
	}
	err = git_signature_default(out, pg_git_repo(g));
	if (err < 0) {
		pg_git_fail(err,
			    "no git identity: set %s='Name <email>', or git config user.name "
			    "and user.email",
			    AUTHOR_ENV);
		return PG_ENOTFOUND;
	}
	return 0;
}

int pg_git_identity(char *out, size_t size, pg_git *g)
{
	git_signature *sig = NULL;
	int rc, len;

	if (size)
		out[0] = '\0';
	rc = signature(&sig, g);
	if (rc)
		return rc;
	len = snprintf(out, size, "%s <%s>", sig->name, sig->email);
	if (len < 0 || (size_t)len >= size) {
		pg_error_set("git identity '%s <%s>' does not fit in %zu bytes", sig->name,
			     sig->email, size);
		rc = PG_ELIMIT;
		if (size)
			out[0] = '\0';
	}
	git_signature_free(sig);
	return rc;
}

/* Repository-relative, '/' separated, no empty, '.' or '..' components. */
static int check_path(const char *path)
{
	const char *p = path, *slash;
	size_t len;

	if (!*path || *path == '/' || strchr(path, '\\')) {
		pg_error_set("invalid path '%s': give it relative to the repository root, "
			     "'/' separated",
			     path);
		return PG_EINVAL;
	}
	for (;;) {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.')) {
			pg_error_set("invalid path '%s': empty, '.' or '..' component", path);
			return PG_EINVAL;
		}
		if (!slash)
			return 0;
		p = slash + 1;
	}
}

static int listed(const char *path, const char *const *paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(path, paths[i]) == 0)
			return 1;
	return 0;
}

/* HEAD's commit (NULL when unborn) and its tree; the caller frees both. */
static int head_commit(git_commit **commit, git_tree **tree, git_repository *repo)
{
	git_object *obj = NULL;
	int err;

	*commit = NULL;
	*tree = NULL;
	err = git_repository_head_unborn(repo);
	if (err == 1)
		return 0;
	if (err == 0)
		err = git_revparse_single(&obj, repo, "HEAD^{commit}");
	if (err == 0) {
		*commit = (git_commit *)obj;
		err = git_commit_tree(tree, *commit);
	}
	if (err < 0)
		return pg_git_fail(err, "reading HEAD");
	return 0;
}

/* Stages exactly paths in the repository's index (refusing when other
 * paths are staged) and commits the index on HEAD. */
static int commit_to_head(git_oid *id, pg_git *g, const char *const *paths, size_t n,
			  const char *message, const git_signature *sig)
{
	git_repository *repo = pg_git_repo(g);
	git_index *index = NULL;
	git_commit *parent = NULL;
	git_tree *head_tree = NULL, *tree = NULL;
	git_diff *diff = NULL;
	const git_commit *parents[1];
	git_oid tree_id;
	size_t i;
	int rc = 0, err;

	err = git_repository_index(&index, repo);
	if (err == 0)
		err = git_index_read(index, 0);
	if (err < 0) {
		rc = pg_git_fail(err, "reading the index");
		goto done;
	}
	if (git_index_has_conflicts(index)) {
		pg_error_set("the index has unresolved conflicts; resolve them first, or use "
			     "--branch");
		rc = PG_EINVAL;
		goto done;
	}
	rc = head_commit(&parent, &head_tree, repo);
	if (rc)
		goto done;
	err = git_diff_tree_to_index(&diff, repo, head_tree, index, NULL);
	if (err < 0) {
		rc = pg_git_fail(err, "comparing the index with HEAD");
		goto done;
	}
	for (i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *p = d->new_file.path ? d->new_file.path : d->old_file.path;

		if (!listed(p, paths, n)) {
			pg_error_set("the index has staged changes to '%s'; commit or unstage "
				     "them first, or use --branch",
				     p);
			rc = PG_EINVAL;
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		err = git_index_add_bypath(index, paths[i]);
		if (err < 0) {
			rc = pg_git_fail(err, "staging '%s'", paths[i]);
			git_index_read(index, 1); /* drop what was staged in memory */
			goto done;
		}
	}
	err = git_index_write_tree(&tree_id, index);
	if (err == 0)
		err = git_index_write(index);
	if (err == 0)
		err = git_tree_lookup(&tree, repo, &tree_id);
	if (err < 0) {
		rc = pg_git_fail(err, "writing the index");
		goto done;
	}
	parents[0] = parent;
	err = git_commit_create(id, repo, "HEAD", sig, sig, NULL, message, tree, parent ? 1 : 0,
				parents);
	if (err < 0)
		rc = pg_git_fail(err, "committing on HEAD");
done:
	git_diff_free(diff);
	git_tree_free(tree);
	git_tree_free(head_tree);
	git_commit_free(parent);
	git_index_free(index);
	return rc;
}

/* Writes the work-tree file path as a blob (through the repository's
 * filters) and adds it to the in-memory index. */
static int add_work_file(git_index *index, pg_git *g, const char *path)
{
	git_repository *repo = pg_git_repo(g);
	git_index_entry entry;
	char full[PATH_MAX];
	struct stat st;
	int len, err;

	len = snprintf(full, sizeof(full), "%s%s", git_repository_workdir(repo), path);
	if (len < 0 || (size_t)len >= sizeof(full)) {
		pg_error_set("path '%s' is too long", path);
		return PG_ELIMIT;
	}
	if (lstat(full, &st) < 0) {
		pg_error_set("cannot commit '%s': no such file in the work tree", path);
		return PG_ENOTFOUND;
	}
	memset(&entry, 0, sizeof(entry));
	if (S_ISLNK(st.st_mode))
		entry.mode = GIT_FILEMODE_LINK;
	else if (S_ISREG(st.st_mode))
		entry.mode =
		    (st.st_mode & S_IXUSR) ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
	else {
		pg_error_set("cannot commit '%s': not a regular file", path);
		return PG_EINVAL;
	}
	entry.path = path;
	err = git_blob_create_from_workdir(&entry.id, repo, path);
	if (err < 0)
		return pg_git_fail(err, "storing '%s'", path);
	err = git_index_add(index, &entry);
	if (err < 0)
		return pg_git_fail(err, "adding '%s' to the tree", path);
	return 0;
}

/* Commits the branch tip's tree with paths replaced to refs/heads/<branch>,
 * using an in-memory index so HEAD, the index and the work tree stay as
 * they are. */
static int commit_to_branch(git_oid *id, pg_git *g, const char *const *paths, size_t n,
			    const char *message, const git_signature *sig, const char *branch)
{
	git_repository *repo = pg_git_repo(g);
	git_reference *ref = NULL, *head = NULL;
	git_object *tip = NULL;
	git_tree *tip_tree = NULL, *tree = NULL;
	git_index *index = NULL;
	const git_commit *parents[1];
	git_oid tree_id;
	char refname[512];
	size_t i;
	int rc = 0, err, valid = 0;

	snprintf(refname, sizeof(refname), "refs/heads/%s", branch);
	if (strlen(branch) + 12 > sizeof(refname) ||
	    git_reference_name_is_valid(&valid, refname) < 0 || !valid) {
		pg_error_set("invalid branch name '%s'", branch);
		return PG_EINVAL;
	}
	if (git_reference_lookup(&head, repo, "HEAD") == 0 &&
	    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    strcmp(git_reference_symbolic_target(head), refname) == 0) {
		pg_error_set("branch '%s' is checked out; commit without --branch, or check out "
			     "another branch",
			     branch);
		rc = PG_EINVAL;
		goto done;
	}
	err = git_reference_lookup(&ref, repo, refname);
	if (err == 0)
		err = git_reference_peel(&tip, ref, GIT_OBJECT_COMMIT);
	if (err == 0)
		err = git_commit_tree(&tip_tree, (git_commit *)tip);
	if (err < 0 && err != GIT_ENOTFOUND) {
		rc = pg_git_fail(err, "reading branch '%s'", branch);
		goto done;
	}
	if (ref && !tip_tree) {
		rc = pg_git_fail(err, "reading branch '%s'", branch);
		goto done;
	}
	err = git_index_new(&index);
	if (err == 0 && tip_tree)
		err = git_index_read_tree(index, tip_tree);
	if (err < 0) {
		rc = pg_git_fail(err, "reading the tree of branch '%s'", branch);
		goto done;
	}
	for (i = 0; i < n; i++) {
		rc = add_work_file(index, g, paths[i]);
		if (rc)
			goto done;
	}
	err = git_index_write_tree_to(&tree_id, index, repo);
	if (err == 0)
		err = git_tree_lookup(&tree, repo, &tree_id);
	if (err < 0) {
		rc = pg_git_fail(err, "writing the tree for branch '%s'", branch);
		goto done;
	}
	parents[0] = (const git_commit *)tip;
	err = git_commit_create(id, repo, refname, sig, sig, NULL, message, tree, tip ? 1 : 0,
				parents);
	if (err == GIT_EMODIFIED)
		rc = pg_git_fail(err, "branch '%s' moved while committing; try again", branch);
	else if (err < 0)
		rc = pg_git_fail(err, "committing to branch '%s'", branch);
done:
	git_index_free(index);
	git_tree_free(tree);
	git_tree_free(tip_tree);
	git_object_free(tip);
	git_reference_free(ref);
	git_reference_free(head);
	return rc;
}

int pg_git_commit_files(char out[41], pg_git *g, const char *const *paths, size_t n,
			const char *message, const char *branch)
{
	git_signature *sig = NULL;
	git_oid id;
	size_t i;
	int rc;

	out[0] = '\0';
	if (n == 0 || !message || !*message) {
		pg_error_set("nothing to commit: %s", n == 0 ? "no files given" : "empty message");
		return PG_EINVAL;
	}
	if (!git_repository_workdir(pg_git_repo(g))) {
		pg_error_set("cannot commit files from a bare repository");
		return PG_EINVAL;
	}
	for (i = 0; i < n; i++)
		if ((rc = check_path(paths[i])) != 0)
			return rc;
	rc = signature(&sig, g);
	if (rc)
		return rc;
	if (branch)
		rc = commit_to_branch(&id, g, paths, n, message, sig, branch);
	else
		rc = commit_to_head(&id, g, paths, n, message, sig);
	if (rc == 0)
		git_oid_tostr(out, 41, &id);
	git_signature_free(sig);
	return rc;
}
