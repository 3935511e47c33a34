/* PLACEHOLDER */
#include "cli.h"
int cmd_sim(const struct cli_globals *g, int argc, char **argv) { (void)g; (void)argc; (void)argv; return 1; }
int cmd_replay(const struct cli_globals *g, int argc, char **argv) { (void)g; (void)argc; (void)argv; return 1; }
int cmd_runs(const struct cli_globals *g, int argc, char **argv) { (void)g; (void)argc; (void)argv; return 1; }
int cmd_run(const struct cli_globals *g, int argc, char **argv) { (void)g; (void)argc; (void)argv; return 1; }
int cmd_report(const struct cli_globals *g, int argc, char **argv) { (void)g; (void)argc; (void)argv; return 1; }
int cmd_export(const struct cli_globals *g, int argc, char **argv) { (void)g; (void)argc; (void)argv; return 1; }
void cli_error(const char *fmt, ...) { (void)fmt; }
