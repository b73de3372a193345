/* Command-line entry points and the documented exit codes. */
#ifndef PG_CLI_H
#define PG_CLI_H

enum {
	PG_EXIT_PASS = 0,  /* every requirement met */
	PG_EXIT_FAIL = 1,  /* a requirement failed (or, later, a regression) */
	PG_EXIT_USAGE = 2, /* bad suite or usage */
	PG_EXIT_ERROR = 3  /* the run could not be carried out */
};

/* `perfgate run` (validate_only 0) and `perfgate validate` (1); argv[0] is
 * the command name. Returns the process exit code. */
int pg_cmd_run(int argc, char **argv, int validate_only);

#endif
