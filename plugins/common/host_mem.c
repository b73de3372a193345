/* Host-allocated copies for plugins (see host_mem.h). */
#include "host_mem.h"

#include <string.h>

char *pg_host_strndup(const pg_host_api *host, const char *s, size_t n)
{
	char *p = host->alloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
