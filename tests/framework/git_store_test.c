/* Tests for framework/git_store.c and git_store_commit.c on temporary
 * repositories built with libgit2 itself (no git command line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "git_store.h"

typedef struct fx {
	char dir[64];
	git_repository *repo;
} fx;

/* An empty directory used as the global/system config search path, so the
 * user's ~/.gitconfig cannot leak into the identity tests. */
static char no_config_dir[PATH_MAX];

/*
 * libgit2 1.5 leaks 64 bytes inside git_merge_base when it meets a missing
 * commit (the shallow-clone test). Only the sanitizer runtimes call these
 * hooks; full unwinding lets the suppression match that one frame instead
 * of hiding every allocation made inside libgit2.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:git_merge_base\n";
}

static void remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[PATH_MAX];

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			remove_tree(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void check_git(int err, const char *what)
{
	if (err < 0) {
		const git_error *e = git_error_last();

		fail_msg("%s: %s", what, e ? e->message : "?");
	}
}

static void check_pg(int rc, const char *what)
{
	if (rc != 0)
		fail_msg("%s failed (%d): %s", what, rc, pg_error_last());
}

static void assert_contains(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("'%s' lacks '%s'", text, want);
}

static void unset_env(void)
{
	unsetenv("CI_MERGE_REQUEST_DIFF_BASE_SHA");
	unsetenv("GITHUB_BASE_REF");
	unsetenv("PERFGATE_GIT_AUTHOR");
}

static int setup(void **state)
{
	git_repository_init_options opts;
	git_config *cfg = NULL;
	fx *f = calloc(1, sizeof(*f));

	if (!f || git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION) < 0)
		return -1;
	unset_env();
	snprintf(f->dir, sizeof(f->dir), "/tmp/pg_git_test.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	opts.flags = GIT_REPOSITORY_INIT_MKPATH;
	opts.initial_head = "main";
	if (git_repository_init_ext(&f->repo, f->dir, &opts) < 0 ||
	    git_repository_config(&cfg, f->repo) < 0 ||
	    git_config_set_string(cfg, "user.name", "Test User") < 0 ||
	    git_config_set_string(cfg, "user.email", "test@example.com") < 0)
		return -1;
	git_config_free(cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	git_repository_free(f->repo);
	remove_tree(f->dir);
	free(f);
	unset_env();
	return 0;
}

static void abs_path(char *out, size_t size, const fx *f, const char *rel)
{
	int len = snprintf(out, size, "%s/%s", f->dir, rel);

	assert_true(len > 0 && (size_t)len < size);
}

/* Writes rel (creating directories) in the work tree. */
static void write_file(const fx *f, const char *rel, const char *content)
{
	char path[PATH_MAX];
	char *slash;
	FILE *fp;

	abs_path(path, sizeof(path), f, rel);
	for (slash = strchr(path + strlen(f->dir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(content, 1, strlen(content), fp), strlen(content));
	assert_int_equal(fclose(fp), 0);
}

static char *slurp(const fx *f, const char *rel, size_t *len)
{
	char path[PATH_MAX];
	char *buf = malloc(1 << 20);
	FILE *fp;

	abs_path(path, sizeof(path), f, rel);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, fp);
	fclose(fp);
	return buf;
}

static void stage(fx *f, const char *rel)
{
	git_index *index = NULL;

	check_git(git_repository_index(&index, f->repo), "index");
	check_git(git_index_add_bypath(index, rel), "add");
	check_git(git_index_write(index), "write index");
	git_index_free(index);
}

/* Writes rel in the work tree, stages it and commits the index on HEAD. */
static void commit_file(git_oid *out, fx *f, const char *rel, const char *content, const char *msg)
{
	git_index *index = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_object *head = NULL;
	const git_commit *parents[1];
	git_oid tree_id;

	write_file(f, rel, content);
	stage(f, rel);
	check_git(git_repository_index(&index, f->repo), "index");
	check_git(git_index_write_tree(&tree_id, index), "write tree");
	check_git(git_tree_lookup(&tree, f->repo, &tree_id), "tree");
	check_git(git_signature_now(&sig, "Test User", "test@example.com"), "sig");
	if (git_revparse_single(&head, f->repo, "HEAD^{commit}") < 0)
		head = NULL;
	parents[0] = (const git_commit *)head;
	check_git(git_commit_create(out, f->repo, "HEAD", sig, sig, NULL, msg, tree, head ? 1 : 0,
				    parents),
		  "commit");
	git_object_free(head);
	git_tree_free(tree);
	git_signature_free(sig);
	git_index_free(index);
}

/* Commits to update_ref, without touching the work tree or index, the tree
 * of parents[0] (empty when none) with the top-level file name set. */
static void commit_on(git_oid *out, git_repository *repo, const char *update_ref,
		      const git_oid *parent_ids, size_t nparents, const char *name,
		      const char *content, const char *msg)
{
	git_commit *parents[2] = {NULL, NULL};
	const git_commit *cparents[2];
	git_tree *base = NULL, *tree = NULL;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_oid blob, tree_id;
	size_t i;

	assert_true(nparents <= 2);
	for (i = 0; i < nparents; i++) {
		check_git(git_commit_lookup(&parents[i], repo, &parent_ids[i]), "parent");
		cparents[i] = parents[i];
	}
	if (nparents)
		check_git(git_commit_tree(&base, parents[0]), "parent tree");
	check_git(git_blob_create_from_buffer(&blob, repo, content, strlen(content)), "blob");
	check_git(git_treebuilder_new(&tb, repo, base), "treebuilder");
	check_git(git_treebuilder_insert(NULL, tb, name, &blob, GIT_FILEMODE_BLOB), "insert");
	check_git(git_treebuilder_write(&tree_id, tb), "write tree");
	check_git(git_tree_lookup(&tree, repo, &tree_id), "tree");
	check_git(git_signature_now(&sig, "Test User", "test@example.com"), "sig");
	check_git(
	    git_commit_create(out, repo, update_ref, sig, sig, NULL, msg, tree, nparents, cparents),
	    "commit");
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_tree_free(base);
	for (i = 0; i < nparents; i++)
		git_commit_free(parents[i]);
}

static const char *hex(const git_oid *id)
{
	static char buf[4][41];
	static int next;
	char *b = buf[next++ % 4];

	git_oid_tostr(b, 41, id);
	return b;
}

static pg_git *open_fx(const fx *f)
{
	pg_git *g = NULL;

	check_pg(pg_git_open(&g, f->dir), "pg_git_open");
	return g;
}

static void assert_file_at(pg_git *g, const char *commit, const char *path, const char *want)
{
	char *text = NULL;
	size_t len = 0;

	check_pg(pg_git_read_file(&text, &len, g, commit, path), path);
	assert_int_equal(len, strlen(want));
	assert_string_equal(text, want);
	free(text);
}

static void test_open_from_a_subdirectory_finds_the_repository_root(void **state)
{
	fx *f = *state;
	char sub[PATH_MAX];
	pg_git *g = NULL;

	abs_path(sub, sizeof(sub), f, "a");
	assert_int_equal(mkdir(sub, 0755), 0);
	abs_path(sub, sizeof(sub), f, "a/b");
	assert_int_equal(mkdir(sub, 0755), 0);
	check_pg(pg_git_open(&g, sub), "open");
	assert_string_equal(pg_git_workdir(g), git_repository_workdir(f->repo));
	assert_int_equal(pg_git_is_shallow(g), 0);
	pg_git_free(g);
}

static void test_open_outside_a_repository_is_not_found(void **state)
{
	char dir[] = "/tmp/pg_git_norepo.XXXXXX";
	pg_git *g = (pg_git *)dir; /* must be reset to NULL */

	(void)state;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(pg_git_open(&g, dir), PG_ENOTFOUND);
	assert_null(g);
	assert_contains(pg_error_last(), dir);
	assert_contains(pg_error_last(), "not inside a git repository");
	rmdir(dir);
	pg_git_free(NULL);
}

static void test_head_is_not_found_until_the_first_commit(void **state)
{
	fx *f = *state;
	pg_git *g = open_fx(f);
	char head[41] = "x";
	git_oid c1;

	assert_int_equal(pg_git_head(head, g), PG_ENOTFOUND);
	assert_contains(pg_error_last(), "no commits");
	commit_file(&c1, f, "a.txt", "a", "first");
	check_pg(pg_git_head(head, g), "head");
	assert_string_equal(head, hex(&c1));
	pg_git_free(g);
}

static void test_read_file_at_an_older_commit_ignores_the_work_tree(void **state)
{
	fx *f = *state;
	git_oid c1, c2;
	pg_git *g;
	size_t len;
	char *text;

	commit_file(&c1, f, "baselines/a/b.json", "{\"v\":1}", "v1");
	commit_file(&c2, f, "baselines/a/b.json", "{\"v\":2}", "v2");
	write_file(f, "baselines/a/b.json", "{\"v\":3}");
	g = open_fx(f);
	assert_file_at(g, hex(&c1), "baselines/a/b.json", "{\"v\":1}");
	assert_file_at(g, hex(&c2), "baselines/a/b.json", "{\"v\":2}");
	text = slurp(f, "baselines/a/b.json", &len);
	assert_memory_equal(text, "{\"v\":3}", len);
	free(text);
	pg_git_free(g);
}

static void test_read_file_missing_path_is_not_found_with_commit_in_message(void **state)
{
	fx *f = *state;
	char *text = (char *)f, want[64];
	size_t len = 7;
	git_oid c1;
	pg_git *g;

	commit_file(&c1, f, "baselines/a/b.json", "{}", "v1");
	g = open_fx(f);
	assert_int_equal(pg_git_read_file(&text, &len, g, hex(&c1), "baselines/a/c.json"),
			 PG_ENOTFOUND);
	assert_null(text);
	assert_int_equal(len, 0);
	snprintf(want, sizeof(want), "reading baselines/a/c.json at %.7s", hex(&c1));
	assert_contains(pg_error_last(), want);
	/* a directory is not a file either */
	assert_int_equal(pg_git_read_file(&text, &len, g, hex(&c1), "baselines/a"), PG_ENOTFOUND);
	pg_git_free(g);
}

static void test_resolve_base_with_an_explicit_ref(void **state)
{
	fx *f = *state;
	char out[41], how[128];
	git_oid c1, c2;
	pg_git *g;

	commit_on(&c1, f->repo, "HEAD", NULL, 0, "a.txt", "1", "one");
	commit_on(&c2, f->repo, "HEAD", &c1, 1, "a.txt", "2", "two");
	g = open_fx(f);
	check_pg(pg_git_resolve_base(out, how, sizeof(how), g, "HEAD~1", NULL), "HEAD~1");
	assert_string_equal(out, hex(&c1));
	assert_contains(how, "HEAD~1");
	check_pg(pg_git_resolve_base(out, NULL, 0, g, hex(&c2), NULL), "sha");
	assert_string_equal(out, hex(&c2));
	check_pg(pg_git_resolve_base(out, how, sizeof(how), g, "main", NULL), "main");
	assert_string_equal(out, hex(&c2));
	pg_git_free(g);
}

/* R -- M1 -- M2 on main, R -- F1 on feature (checked out). */
static void make_fork(fx *f, git_oid *r, git_oid *m2, git_oid *f1)
{
	git_oid m1;

	commit_on(r, f->repo, "refs/heads/main", NULL, 0, "a.txt", "r", "root");
	commit_on(&m1, f->repo, "refs/heads/main", r, 1, "a.txt", "m1", "m1");
	commit_on(f1, f->repo, "refs/heads/feature", r, 1, "b.txt", "f1", "f1");
	commit_on(m2, f->repo, "refs/heads/main", &m1, 1, "a.txt", "m2", "m2");
	check_git(git_repository_set_head(f->repo, "refs/heads/feature"), "set head");
}

static void test_resolve_base_github_base_ref_gives_the_fork_point(void **state)
{
	fx *f = *state;
	git_oid r, m2, f1;
	char out[41], how[128];
	pg_git *g;

	make_fork(f, &r, &m2, &f1);
	setenv("GITHUB_BASE_REF", "main", 1);
	g = open_fx(f);
	check_pg(pg_git_resolve_base(out, how, sizeof(how), g, NULL, "master"), "resolve");
	assert_string_equal(out, hex(&r));
	assert_string_equal(how, "merge-base of HEAD and main");
	pg_git_free(g);
}

static void test_resolve_base_prefers_origin_branch_and_origin_head(void **state)
{
	fx *f = *state;
	git_oid r, m2, f1, o1;
	git_reference *ref = NULL;
	char out[41], how[128];
	pg_git *g;

	make_fork(f, &r, &m2, &f1);
	/* origin/trunk forks from feature's tip, so its merge-base is F1 */
	commit_on(&o1, f->repo, "refs/remotes/origin/trunk", &f1, 1, "c.txt", "o", "o1");
	check_git(git_reference_symbolic_create(&ref, f->repo, "refs/remotes/origin/HEAD",
						"refs/remotes/origin/trunk", 0, NULL),
		  "origin/HEAD");
	git_reference_free(ref);
	g = open_fx(f);
	check_pg(pg_git_resolve_base(out, how, sizeof(how), g, NULL, NULL), "origin/HEAD");
	assert_string_equal(out, hex(&f1));
	assert_string_equal(how, "merge-base of HEAD and origin/trunk");
	/* the configured default branch wins over origin/HEAD */
	check_pg(pg_git_resolve_base(out, how, sizeof(how), g, NULL, "main"), "default");
	assert_string_equal(out, hex(&r));
	assert_string_equal(how, "merge-base of HEAD and main");
	/* origin/<branch> is preferred to the local branch */
	check_git(git_reference_create(&ref, f->repo, "refs/remotes/origin/main", &o1, 0, NULL),
		  "origin/main");
	git_reference_free(ref);
	check_pg(pg_git_resolve_base(out, how, sizeof(how), g, NULL, "main"), "origin/main");
	assert_string_equal(out, hex(&f1));
	assert_string_equal(how, "merge-base of HEAD and origin/main");
	pg_git_free(g);
}

static void test_resolve_base_uses_merge_request_diff_base_sha_as_is(void **state)
{
	fx *f = *state;
	git_oid r, m2, f1;
	char out[41], how[128];
	pg_git *g;

	make_fork(f, &r, &m2, &f1);
	setenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", hex(&m2), 1);
	setenv("GITHUB_BASE_REF", "main", 1);
	g = open_fx(f);
	check_pg(pg_git_resolve_base(out, how, sizeof(how), g, NULL, NULL), "resolve");
	assert_string_equal(out, hex(&m2));
	assert_contains(how, "CI_MERGE_REQUEST_DIFF_BASE_SHA");
	pg_git_free(g);
}

static void test_resolve_base_missing_ref_or_branch_is_not_found_with_message(void **state)
{
	fx *f = *state;
	git_oid r, m2, f1;
	char out[41] = "x", how[128];
	pg_git *g;

	make_fork(f, &r, &m2, &f1);
	g = open_fx(f);
	assert_int_equal(pg_git_resolve_base(out, how, sizeof(how), g, "no-such-ref", NULL),
			 PG_ENOTFOUND);
	assert_string_equal(out, "");
	assert_contains(pg_error_last(), "'no-such-ref' not found");
	setenv("GITHUB_BASE_REF", "release-9", 1);
	assert_int_equal(pg_git_resolve_base(out, how, sizeof(how), g, NULL, NULL), PG_ENOTFOUND);
	assert_contains(pg_error_last(),
			"no base branch found (tried origin/release-9, release-9 from "
			"$GITHUB_BASE_REF); pass --baseline REF");
	assert_null(strstr(pg_error_last(), "shallow"));
	pg_git_free(g);
}

static void test_resolve_base_without_main_or_master_lists_what_was_tried(void **state)
{
	fx *f = *state;
	char out[41], how[128];
	git_oid c1;
	pg_git *g;

	commit_on(&c1, f->repo, "refs/heads/work", NULL, 0, "a.txt", "1", "one");
	check_git(git_repository_set_head(f->repo, "refs/heads/work"), "set head");
	g = open_fx(f);
	assert_int_equal(pg_git_resolve_base(out, how, sizeof(how), g, NULL, NULL), PG_ENOTFOUND);
	assert_contains(pg_error_last(), "no base branch found (tried origin/HEAD, origin/main, "
					 "main, origin/master, master); pass --baseline REF");
	pg_git_free(g);
}

static void test_shallow_clone_missing_history_explains_how_to_fetch_it(void **state)
{
	fx *f = *state;
	git_oid r, m2, f1;
	char path[PATH_MAX], out[41], how[128];
	const char *h;
	pg_git_version *v = NULL;
	size_t n = 0;
	FILE *fp;
	pg_git *g;
	int rc;

	make_fork(f, &r, &m2, &f1);
	/* what a depth-limited fetch leaves: the tips listed as shallow and
	 * the root's commit object absent */
	abs_path(path, sizeof(path), f, ".git/shallow");
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "%s\n%s\n", hex(&m2), hex(&f1));
	fclose(fp);
	h = hex(&r);
	snprintf(path, sizeof(path), "%s/.git/objects/%.2s/%.38s", f->dir, h, h + 2);
	assert_int_equal(unlink(path), 0);
	g = open_fx(f);
	assert_int_equal(pg_git_is_shallow(g), 1);
	rc = pg_git_resolve_base(out, how, sizeof(how), g, NULL, "main");
	assert_int_equal(rc, PG_ENOTFOUND);
	assert_contains(pg_error_last(), "main");
	assert_contains(pg_error_last(), "shallow clone");
	assert_contains(pg_error_last(), "fetch-depth: 0");
	assert_contains(pg_error_last(), "GIT_DEPTH: 0");
	assert_contains(pg_error_last(), "git fetch --unshallow");
	assert_int_equal(pg_git_resolve_base(out, how, sizeof(how), g, hex(&r), NULL),
			 PG_ENOTFOUND);
	assert_contains(pg_error_last(), "shallow clone");
	assert_contains(pg_error_last(), "git fetch --unshallow");
	/* history stops at the shallow boundary instead of failing */
	check_pg(pg_git_file_history(&v, &n, g, NULL, "b.txt", 10), "history");
	assert_int_equal(n, 1);
	assert_string_equal(v[0].commit, hex(&f1));
	pg_git_versions_free(v, n);
	pg_git_free(g);
}

static void index_entry_id(git_oid *out, fx *f, const char *path)
{
	git_index *index = NULL;
	const git_index_entry *e;

	check_git(git_repository_index(&index, f->repo), "index");
	check_git(git_index_read(index, 1), "read index");
	e = git_index_get_bypath(index, path, 0);
	if (!e)
		fail_msg("'%s' is not in the index", path);
	git_oid_cpy(out, &e->id);
	git_index_free(index);
}

static int in_index(fx *f, const char *path)
{
	git_index *index = NULL;
	int found;

	check_git(git_repository_index(&index, f->repo), "index");
	check_git(git_index_read(index, 1), "read index");
	found = git_index_get_bypath(index, path, 0) != NULL;
	git_index_free(index);
	return found;
}

static void test_commit_files_refuses_when_another_path_is_staged(void **state)
{
	fx *f = *state;
	const char *paths[] = {"baselines/x.json"};
	char out[41], head[41];
	git_oid c1;
	pg_git *g;

	commit_file(&c1, f, "a.txt", "a", "first");
	write_file(f, "other.txt", "staged");
	stage(f, "other.txt");
	write_file(f, "baselines/x.json", "{}");
	g = open_fx(f);
	assert_int_equal(pg_git_commit_files(out, g, paths, 1, "baseline", NULL), PG_EINVAL);
	assert_contains(pg_error_last(), "staged changes to 'other.txt'");
	assert_contains(pg_error_last(), "--branch");
	check_pg(pg_git_head(head, g), "head");
	assert_string_equal(head, hex(&c1));
	assert_false(in_index(f, "baselines/x.json"));
	assert_true(in_index(f, "other.txt"));
	pg_git_free(g);
}

static void test_commit_files_commits_only_the_given_paths(void **state)
{
	fx *f = *state;
	const char *paths[] = {"baselines/s/b.json"};
	git_oid c1, a1, idx_a;
	git_commit *c = NULL;
	char out[41], head[41];
	pg_git *g;

	write_file(f, "a.txt", "a1");
	stage(f, "a.txt");
	commit_file(&c1, f, "baselines/s/b.json", "b1", "first");
	write_file(f, "a.txt", "a2");
	write_file(f, "baselines/s/b.json", "b2");
	/* our own path may already be staged */
	stage(f, "baselines/s/b.json");
	write_file(f, "baselines/s/b.json", "b3");
	g = open_fx(f);
	check_pg(pg_git_commit_files(out, g, paths, 1, "update baseline", NULL), "commit");
	check_pg(pg_git_head(head, g), "head");
	assert_string_equal(head, out);
	assert_file_at(g, out, "baselines/s/b.json", "b3");
	assert_file_at(g, out, "a.txt", "a1");
	check_git(git_oid_fromstr(&idx_a, out), "oid");
	check_git(git_commit_lookup(&c, f->repo, &idx_a), "lookup");
	assert_int_equal(git_commit_parentcount(c), 1);
	assert_true(git_oid_equal(git_commit_parent_id(c, 0), &c1));
	assert_string_equal(git_commit_message(c), "update baseline");
	assert_string_equal(git_commit_author(c)->name, "Test User");
	git_commit_free(c);
	/* a.txt's modification is still unstaged */
	check_git(git_odb_hash(&a1, "a1", 2, GIT_OBJECT_BLOB), "hash");
	index_entry_id(&idx_a, f, "a.txt");
	assert_true(git_oid_equal(&idx_a, &a1));
	pg_git_free(g);
}

static void test_commit_files_on_an_unborn_head_makes_a_root_commit(void **state)
{
	fx *f = *state;
	const char *paths[] = {"b.json"};
	git_commit *c = NULL;
	git_oid id, main_id;
	char out[41];
	pg_git *g;

	write_file(f, "b.json", "{}");
	setenv("PERFGATE_GIT_AUTHOR", "Perf Bot <bot@example.com>", 1);
	g = open_fx(f);
	check_pg(pg_git_commit_files(out, g, paths, 1, "first baseline", NULL), "commit");
	check_git(git_reference_name_to_id(&main_id, f->repo, "refs/heads/main"), "main");
	assert_string_equal(out, hex(&main_id));
	check_git(git_oid_fromstr(&id, out), "oid");
	check_git(git_commit_lookup(&c, f->repo, &id), "lookup");
	assert_int_equal(git_commit_parentcount(c), 0);
	assert_string_equal(git_commit_author(c)->name, "Perf Bot");
	assert_string_equal(git_commit_committer(c)->email, "bot@example.com");
	git_commit_free(c);
	assert_file_at(g, out, "b.json", "{}");
	pg_git_free(g);
}

static void test_commit_files_to_a_branch_leaves_head_index_and_work_tree(void **state)
{
	fx *f = *state;
	const char *first[] = {"baselines/suite/scn.json"};
	const char *second[] = {"baselines/suite/other.json", "baselines/suite/scn.json"};
	char out1[41], out2[41], head[41];
	char *index_before, *index_after;
	size_t len_before, len_after, len;
	git_reference *head_ref = NULL;
	git_commit *c = NULL;
	git_oid c1, id;
	char *text;
	pg_git *g;

	commit_file(&c1, f, "a.txt", "a", "first");
	write_file(f, "baselines/suite/scn.json", "{\"p95\":1}");
	index_before = slurp(f, ".git/index", &len_before);
	g = open_fx(f);
	check_pg(pg_git_commit_files(out1, g, first, 1, "baseline 1", "perfgate-baselines"),
		 "first");
	check_git(git_oid_fromstr(&id, out1), "oid");
	check_git(git_commit_lookup(&c, f->repo, &id), "lookup");
	assert_int_equal(git_commit_parentcount(c), 0);
	git_commit_free(c);
	assert_file_at(g, out1, "baselines/suite/scn.json", "{\"p95\":1}");
	assert_file_at(g, "perfgate-baselines", "baselines/suite/scn.json", "{\"p95\":1}");

	write_file(f, "baselines/suite/scn.json", "{\"p95\":2}");
	write_file(f, "baselines/suite/other.json", "{\"x\":1}");
	check_pg(pg_git_commit_files(out2, g, second, 2, "baseline 2", "perfgate-baselines"),
		 "second");
	check_git(git_oid_fromstr(&id, out2), "oid");
	check_git(git_commit_lookup(&c, f->repo, &id), "lookup");
	assert_int_equal(git_commit_parentcount(c), 1);
	assert_string_equal(hex(git_commit_parent_id(c, 0)), out1);
	git_commit_free(c);
	assert_file_at(g, out2, "baselines/suite/scn.json", "{\"p95\":2}");
	assert_file_at(g, out2, "baselines/suite/other.json", "{\"x\":1}");
	/* the branch holds only what was committed to it, not main's files */
	assert_int_equal(pg_git_read_file(&text, &len, g, out2, "a.txt"), PG_ENOTFOUND);

	/* a third commit of just one file keeps the other from the tip */
	write_file(f, "baselines/suite/scn.json", "{\"p95\":3}");
	check_pg(pg_git_commit_files(out1, g, first, 1, "baseline 3", "perfgate-baselines"),
		 "third");
	assert_file_at(g, out1, "baselines/suite/other.json", "{\"x\":1}");
	assert_file_at(g, out1, "baselines/suite/scn.json", "{\"p95\":3}");

	check_pg(pg_git_head(head, g), "head");
	assert_string_equal(head, hex(&c1));
	check_git(git_reference_lookup(&head_ref, f->repo, "HEAD"), "HEAD");
	assert_string_equal(git_reference_symbolic_target(head_ref), "refs/heads/main");
	git_reference_free(head_ref);
	index_after = slurp(f, ".git/index", &len_after);
	assert_int_equal(len_after, len_before);
	assert_memory_equal(index_after, index_before, len_before);
	assert_false(in_index(f, "baselines/suite/scn.json"));
	text = slurp(f, "baselines/suite/scn.json", &len);
	assert_memory_equal(text, "{\"p95\":3}", len);
	free(text);
	free(index_before);
	free(index_after);
	pg_git_free(g);
}

static void test_commit_files_rejects_paths_outside_the_repository(void **state)
{
	fx *f = *state;
	const char *bad[] = {"../x.json", "/etc/passwd", "a//b", "a/./b", ""};
	char out[41];
	size_t i;
	pg_git *g = open_fx(f);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pg_git_commit_files(out, g, &bad[i], 1, "m", "b") != PG_EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_contains(pg_error_last(), "invalid path");
	}
	pg_git_free(g);
}

static void test_identity_comes_from_the_environment_or_git_config(void **state)
{
	fx *f = *state;
	static const char *const bad[] = {"Perf Bot",	      "Perf Bot <>",   "<a@b.c>",
					  "Perf Bot <a@b> x", "Perf Bot<a@b>", "Perf Bot <a b>",
					  " Perf <a@b>",      "Perf <a@b"};
	git_config *cfg = NULL;
	char id[128];
	size_t i;
	pg_git *g = open_fx(f);

	check_pg(pg_git_identity(id, sizeof(id), g), "config");
	assert_string_equal(id, "Test User <test@example.com>");
	setenv("PERFGATE_GIT_AUTHOR", "Perf Bot <bot@example.com>", 1);
	check_pg(pg_git_identity(id, sizeof(id), g), "env");
	assert_string_equal(id, "Perf Bot <bot@example.com>");
	assert_int_equal(pg_git_identity(id, 10, g), PG_ELIMIT);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("PERFGATE_GIT_AUTHOR", bad[i], 1);
		if (pg_git_identity(id, sizeof(id), g) != PG_EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_contains(pg_error_last(), "PERFGATE_GIT_AUTHOR");
	}
	unsetenv("PERFGATE_GIT_AUTHOR");
	pg_git_free(g);
	check_git(git_repository_config(&cfg, f->repo), "config");
	check_git(git_config_delete_entry(cfg, "user.name"), "delete");
	git_config_free(cfg);
	g = open_fx(f);
	assert_int_equal(pg_git_identity(id, sizeof(id), g), PG_ENOTFOUND);
	assert_contains(pg_error_last(), "PERFGATE_GIT_AUTHOR");
	assert_contains(pg_error_last(), "user.name");
	pg_git_free(g);
}

static void test_file_history_lists_first_parent_commits_that_changed_the_file(void **state)
{
	fx *f = *state;
	git_oid c[6], side, merge, parents[2];
	pg_git_version *v = NULL;
	size_t n = 0;
	pg_git *g;

	commit_on(&c[1], f->repo, "HEAD", NULL, 0, "f.json", "v1", "add v1\n\nbody");
	commit_on(&c[2], f->repo, "HEAD", &c[1], 1, "other.txt", "x", "other x");
	commit_on(&c[3], f->repo, "HEAD", &c[2], 1, "f.json", "v2", "f v2");
	commit_on(&c[4], f->repo, "HEAD", &c[3], 1, "other.txt", "y", "other y");
	commit_on(&c[5], f->repo, "HEAD", &c[4], 1, "f.json", "v3", "f v3");
	commit_on(&side, f->repo, "refs/heads/side", &c[5], 1, "f.json", "side", "side");
	parents[0] = c[5];
	parents[1] = side;
	commit_on(&merge, f->repo, "HEAD", parents, 2, "f.json", "side", "merge side");
	g = open_fx(f);
	check_pg(pg_git_file_history(&v, &n, g, NULL, "f.json", 10), "history");
	assert_int_equal(n, 4);
	assert_string_equal(v[0].commit, hex(&merge));
	assert_string_equal(v[0].content, "side");
	assert_string_equal(v[0].summary, "merge side");
	assert_string_equal(v[1].commit, hex(&c[5]));
	assert_string_equal(v[1].content, "v3");
	assert_string_equal(v[2].commit, hex(&c[3]));
	assert_string_equal(v[2].content, "v2");
	assert_int_equal(v[2].len, 2);
	assert_string_equal(v[3].commit, hex(&c[1]));
	assert_string_equal(v[3].content, "v1");
	assert_string_equal(v[3].summary, "add v1");
	assert_true(v[3].time > 1600000000);
	pg_git_versions_free(v, n);

	check_pg(pg_git_file_history(&v, &n, g, NULL, "f.json", 2), "max 2");
	assert_int_equal(n, 2);
	assert_string_equal(v[1].commit, hex(&c[5]));
	pg_git_versions_free(v, n);

	check_pg(pg_git_file_history(&v, &n, g, hex(&c[4]), "f.json", 10), "from c4");
	assert_int_equal(n, 2);
	assert_string_equal(v[0].commit, hex(&c[3]));
	assert_string_equal(v[1].commit, hex(&c[1]));
	pg_git_versions_free(v, n);

	check_pg(pg_git_file_history(&v, &n, g, NULL, "none.json", 10), "absent");
	assert_int_equal(n, 0);
	pg_git_versions_free(v, n);
	pg_git_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_from_a_subdirectory_finds_the_repository_root,
					    setup, teardown),
	    cmocka_unit_test(test_open_outside_a_repository_is_not_found),
	    cmocka_unit_test_setup_teardown(test_head_is_not_found_until_the_first_commit, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_read_file_at_an_older_commit_ignores_the_work_tree,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_read_file_missing_path_is_not_found_with_commit_in_message, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resolve_base_with_an_explicit_ref, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_resolve_base_github_base_ref_gives_the_fork_point,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resolve_base_prefers_origin_branch_and_origin_head,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_resolve_base_uses_merge_request_diff_base_sha_as_is, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_resolve_base_missing_ref_or_branch_is_not_found_with_message, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_resolve_base_without_main_or_master_lists_what_was_tried, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_shallow_clone_missing_history_explains_how_to_fetch_it, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_files_refuses_when_another_path_is_staged,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_files_commits_only_the_given_paths, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_commit_files_on_an_unborn_head_makes_a_root_commit,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_commit_files_to_a_branch_leaves_head_index_and_work_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_files_rejects_paths_outside_the_repository,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_identity_comes_from_the_environment_or_git_config,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_file_history_lists_first_parent_commits_that_changed_the_file, setup,
		teardown),
	};
	int rc;

	/* Hold a libgit2 reference for the whole run so options set here
	 * survive pg_git_free's shutdown, and keep user/system config out. */
	git_libgit2_init();
	snprintf(no_config_dir, sizeof(no_config_dir), "/tmp/pg_git_noconfig.XXXXXX");
	if (!mkdtemp(no_config_dir))
		return 1;
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, no_config_dir);
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, no_config_dir);
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, no_config_dir);
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_PROGRAMDATA, no_config_dir);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(no_config_dir);
	git_libgit2_shutdown();
	return rc;
}
