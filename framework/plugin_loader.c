/* Plugin registry: built-ins and dlopen'ed shared objects. */
#include "plugin_loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

#ifndef PG_PLUGIN_DIR
#define PG_PLUGIN_DIR "/usr/local/lib/perfgate/plugins"
#endif

extern const pg_plugin_entry_fn pg_builtin_plugins[];

/* A version-1.0 descriptor ends where 1.1 added flags; later fields are
 * read only when a descriptor's size covers them (pg_plugin_flags). */
#define PG_DESC_SIZE_1_0 offsetof(pg_plugin_desc, flags)

struct pg_plugin_registry {
	pg_plugin_entry *entries;
	size_t n, cap;
	void **handles;
	size_t n_handles;
	char **dirs;
	size_t n_dirs;
};

const char *pg_plugin_kind_name(pg_plugin_kind kind)
{
	switch (kind) {
	case PG_PLUGIN_ADAPTER:
		return "adapter";
	case PG_PLUGIN_TRANSPORT:
		return "transport";
	case PG_PLUGIN_SCORER:
		return "scorer";
	}
	return "unknown";
}

uint32_t pg_plugin_flags(const pg_plugin_desc *d)
{
	if (d == NULL || d->size < offsetof(pg_plugin_desc, flags) + sizeof(d->flags))
		return 0;
	return d->flags;
}

int pg_plugin_desc_check(const pg_plugin_desc *d, const char *origin)
{
	if (d == NULL) {
		pg_error_set("%s: the entry point returned no descriptor", origin);
		return PG_EINVAL;
	}
	if (d->abi_major != PG_PLUGIN_ABI_MAJOR) {
		pg_error_set("%s: plugin was built for perfgate plugin ABI %u.%u; this perfgate "
			     "supports ABI %d.0 to %d.%d",
			     origin, d->abi_major, d->abi_minor, PG_PLUGIN_ABI_MAJOR,
			     PG_PLUGIN_ABI_MAJOR, PG_PLUGIN_ABI_MINOR);
		return PG_EABI;
	}
	if (d->size < PG_DESC_SIZE_1_0) {
		pg_error_set("%s: descriptor is %u bytes, ABI %d needs at least %zu", origin,
			     d->size, PG_PLUGIN_ABI_MAJOR, (size_t)PG_DESC_SIZE_1_0);
		return PG_EABI;
	}
	if (d->name == NULL || d->name[0] == '\0' || d->ops == NULL) {
		pg_error_set("%s: descriptor has no name or no operations", origin);
		return PG_EINVAL;
	}
	if (d->kind == PG_PLUGIN_ADAPTER) {
		const pg_adapter_ops *o = d->ops;

		if (o->create == NULL || o->destroy == NULL || o->build == NULL ||
		    o->parse_begin == NULL || o->parse_data == NULL || o->parse_end == NULL ||
		    o->parse_free == NULL) {
			pg_error_set("%s: adapter '%s' lacks a required operation", origin,
				     d->name);
			return PG_EINVAL;
		}
	} else if (d->kind == PG_PLUGIN_SCORER) {
		const pg_scorer_ops *o = d->ops;

		if (o->create == NULL || o->destroy == NULL || o->score == NULL) {
			pg_error_set("%s: scorer '%s' lacks a required operation", origin,
				     d->name);
			return PG_EINVAL;
		}
	} else if (d->kind != PG_PLUGIN_TRANSPORT) {
		pg_error_set("%s: unknown plugin kind %d", origin, (int)d->kind);
		return PG_EINVAL;
	}
	return 0;
}

static const pg_plugin_entry *find_registered(const pg_plugin_registry *r, pg_plugin_kind kind,
					      const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->entries[i].desc->kind == kind && strcmp(r->entries[i].desc->name, name) == 0)
			return &r->entries[i];
	return NULL;
}

static int add_entry(pg_plugin_registry *r, const pg_plugin_desc *d, const char *path)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		pg_plugin_entry *e = realloc(r->entries, cap * sizeof(*e));

		if (e == NULL)
			return PG_ENOMEM;
		r->entries = e;
		r->cap = cap;
	}
	r->entries[r->n].desc = d;
	r->entries[r->n].path = NULL;
	if (path != NULL && (r->entries[r->n].path = strdup(path)) == NULL)
		return PG_ENOMEM;
	r->n++;
	return 0;
}

static int add_dirs(pg_plugin_registry *r, const char *list)
{
	char *copy, *save = NULL, *tok;
	int rc = 0;

	if (list == NULL || *list == '\0')
		return 0;
	if ((copy = strdup(list)) == NULL)
		return PG_ENOMEM;
	for (tok = strtok_r(copy, ":", &save); tok != NULL; tok = strtok_r(NULL, ":", &save)) {
		char **d = realloc(r->dirs, (r->n_dirs + 1) * sizeof(*d));

		if (d == NULL || (d[r->n_dirs] = strdup(tok)) == NULL) {
			if (d != NULL)
				r->dirs = d;
			rc = PG_ENOMEM;
			break;
		}
		r->dirs = d;
		r->n_dirs++;
	}
	free(copy);
	return rc;
}

/* <dir of the executable>/../lib/perfgate/plugins, so an installation moved
 * to another prefix (cmake --install --prefix) still finds its plugins. */
static int add_exe_relative_dir(pg_plugin_registry *r)
{
	char exe[4096], dir[4200];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return 0;
	*slash = '\0';
	snprintf(dir, sizeof(dir), "%s/../lib/perfgate/plugins", exe);
	if (strcmp(dir, PG_PLUGIN_DIR) == 0)
		return 0;
	return add_dirs(r, dir);
}

int pg_plugins_new(pg_plugin_registry **out, const char *extra_path)
{
	pg_plugin_registry *r = calloc(1, sizeof(*r));
	size_t i;
	int rc = PG_ENOMEM;

	*out = NULL;
	if (r == NULL)
		goto done;
	for (i = 0; pg_builtin_plugins[i] != NULL; i++) {
		const pg_plugin_desc *d = pg_builtin_plugins[i]();

		if ((rc = pg_plugin_desc_check(d, "built-in plugin")) < 0 ||
		    (rc = add_entry(r, d, NULL)) < 0)
			goto done;
	}
	if ((rc = add_dirs(r, extra_path)) < 0 ||
	    (rc = add_dirs(r, getenv("PERFGATE_PLUGIN_PATH"))) < 0 ||
	    (rc = add_dirs(r, PG_PLUGIN_DIR)) < 0 || (rc = add_exe_relative_dir(r)) < 0)
		goto done;
	*out = r;
	r = NULL;
	rc = 0;
done:
	pg_plugins_free(r);
	return rc;
}

void pg_plugins_free(pg_plugin_registry *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free((char *)r->entries[i].path);
	for (i = 0; i < r->n_handles; i++)
		dlclose(r->handles[i]);
	for (i = 0; i < r->n_dirs; i++)
		free(r->dirs[i]);
	free(r->dirs);
	free(r->handles);
	free(r->entries);
	free(r);
}

/* Refuses what another local user could have put in place of a plugin
 * (loading it runs its code as us): a file anyone may write, one owned by
 * a user other than root or us, or one in a directory that is world-
 * writable without the sticky bit or owned by such a user (who could swap
 * the file). Group-writable files are allowed: shared build trees use
 * them. The checks cover the path as given and, through symlinks, the file
 * it names; between them and dlopen only root or we could change it. */
static int check_owner(const char *path, const char *what, const char *where,
		       const struct stat *st)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me) {
		pg_error_set("refusing to load plugin %s: %s %s is owned by uid %u, neither root nor "
			     "this user (uid %u); chown it",
			     path, what, where, (unsigned)st->st_uid, (unsigned)me);
		return PG_EINVAL;
	}
	return 0;
}

static int check_dir(const char *path, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		pg_error_set("cannot load plugin '%s': %s: %s", path, dir, strerror(errno));
		return PG_EIO;
	}
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		pg_error_set("refusing to load plugin %s: the directory %s is world-writable without "
			     "the sticky bit (mode %04o), so anyone could replace the plugin; "
			     "chmod o-w %s",
			     path, dir, (unsigned)(st.st_mode & 07777), dir);
		return PG_EINVAL;
	}
	return check_owner(path, "the directory", dir, &st);
}

/* The directory part of path ("." when it has none) into buf. */
static void dir_of(char *buf, size_t size, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, size, ".");
	else if (slash == path)
		snprintf(buf, size, "/");
	else
		snprintf(buf, size, "%.*s", (int)(slash - path), path);
}

static int check_trusted(const char *path)
{
	char real[PATH_MAX], dir[PATH_MAX], real_dir[PATH_MAX];
	struct stat st;
	int rc;

	if (realpath(path, real) == NULL || stat(real, &st) != 0) {
		pg_error_set("cannot load plugin '%s': %s", path, strerror(errno));
		return PG_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		pg_error_set("cannot load plugin '%s': not a regular file", path);
		return PG_EINVAL;
	}
	if (st.st_mode & S_IWOTH) {
		pg_error_set("refusing to load plugin %s: the file is world-writable (mode %04o); "
			     "chmod o-w %s",
			     path, (unsigned)(st.st_mode & 07777), path);
		return PG_EINVAL;
	}
	if ((rc = check_owner(path, "the file", real, &st)) < 0)
		return rc;
	dir_of(dir, sizeof(dir), path);
	dir_of(real_dir, sizeof(real_dir), real);
	if ((rc = check_dir(path, dir)) < 0)
		return rc;
	return strcmp(dir, real_dir) != 0 ? check_dir(path, real_dir) : 0;
}

int pg_plugins_load_file(pg_plugin_registry *r, const char *path, const pg_plugin_desc **out)
{
	void *handle, **hs;
	pg_plugin_entry_fn entry;
	const pg_plugin_desc *d;
	const pg_plugin_entry *dup;
	int rc;

	if (out != NULL)
		*out = NULL;
	if ((rc = check_trusted(path)) < 0)
		return rc;
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		pg_error_set("cannot load plugin '%s': %s", path, dlerror());
		return PG_EIO;
	}
	*(void **)(&entry) = dlsym(handle, PG_PLUGIN_ENTRY_SYMBOL);
	if (entry == NULL) {
		pg_error_set("'%s' is not a perfgate plugin: no symbol %s", path,
			     PG_PLUGIN_ENTRY_SYMBOL);
		dlclose(handle);
		return PG_EINVAL;
	}
	d = entry();
	if ((rc = pg_plugin_desc_check(d, path)) < 0) {
		dlclose(handle);
		return rc;
	}
	dup = find_registered(r, d->kind, d->name);
	if (dup != NULL) {
		pg_error_set("'%s': a %s plugin named '%s' is already registered (%s)", path,
			     pg_plugin_kind_name(d->kind), d->name,
			     dup->path ? dup->path : "built in");
		dlclose(handle);
		return PG_EINVAL;
	}
	hs = realloc(r->handles, (r->n_handles + 1) * sizeof(*hs));
	if (hs == NULL) {
		dlclose(handle);
		return PG_ENOMEM;
	}
	r->handles = hs;
	r->handles[r->n_handles++] = handle;
	if ((rc = add_entry(r, d, path)) < 0)
		return rc;
	if (out != NULL)
		*out = d;
	return 0;
}

static void search_list(const pg_plugin_registry *r, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < r->n_dirs && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? ":" : "", r->dirs[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

const pg_plugin_desc *pg_plugins_find(pg_plugin_registry *r, pg_plugin_kind kind,
				      const char *name)
{
	const pg_plugin_entry *e = find_registered(r, kind, name);
	char path[4096], dirs[2048];
	struct stat st;
	size_t i;

	if (e != NULL)
		return e->desc;
	/* a name, never a path: plugins load from the search path only */
	if (name[0] == '\0' || name[0] == '.' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		strlen(name)) {
		pg_error_set("%s plugin name '%s' may hold only letters, digits, '.', '-' and '_' "
			     "(plugins load from the search path only)",
			     pg_plugin_kind_name(kind), name);
		return NULL;
	}
	for (i = 0; i < r->n_dirs; i++) {
		const pg_plugin_desc *d = NULL;
		int n = snprintf(path, sizeof(path), "%s/%s.so", r->dirs[i], name);

		if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) != 0)
			continue;
		if (pg_plugins_load_file(r, path, &d) < 0)
			return NULL;
		if (d->kind != kind || strcmp(d->name, name) != 0) {
			pg_error_set("'%s' holds the %s plugin '%s', not the %s plugin '%s'", path,
				     pg_plugin_kind_name(d->kind), d->name,
				     pg_plugin_kind_name(kind), name);
			return NULL;
		}
		return d;
	}
	search_list(r, dirs, sizeof(dirs));
	pg_error_set("no %s plugin named '%s' (built in, or %s.so in the search path: %s)",
		     pg_plugin_kind_name(kind), name, name, dirs[0] ? dirs : "(empty)");
	return NULL;
}

void pg_plugins_scan(pg_plugin_registry *r)
{
	size_t i;

	for (i = 0; i < r->n_dirs; i++) {
		DIR *dir = opendir(r->dirs[i]);
		struct dirent *de;

		if (dir == NULL)
			continue;
		while ((de = readdir(dir)) != NULL) {
			size_t len = strlen(de->d_name);
			char path[4096];
			int n;

			char base[256];

			if (len < 4 || len >= sizeof(base) || strcmp(de->d_name + len - 3, ".so") != 0)
				continue;
			/* a shared build of a plugin that is also built in is not loaded twice */
			memcpy(base, de->d_name, len - 3);
			base[len - 3] = '\0';
			if (find_registered(r, PG_PLUGIN_ADAPTER, base) != NULL ||
			    find_registered(r, PG_PLUGIN_TRANSPORT, base) != NULL ||
			    find_registered(r, PG_PLUGIN_SCORER, base) != NULL)
				continue;
			n = snprintf(path, sizeof(path), "%s/%s", r->dirs[i], de->d_name);
			if (n < 0 || (size_t)n >= sizeof(path))
				continue;
			if (pg_plugins_load_file(r, path, NULL) < 0)
				fprintf(stderr, "perfgate: warning: %s\n", pg_error_last());
		}
		closedir(dir);
	}
}

size_t pg_plugins_count(const pg_plugin_registry *r)
{
	return r->n;
}

const pg_plugin_entry *pg_plugins_at(const pg_plugin_registry *r, size_t i)
{
	return i < r->n ? &r->entries[i] : NULL;
}
