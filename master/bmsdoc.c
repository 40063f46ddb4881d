/*
 * bmsdoc.c: prints the building management map (markdown) from the
 * table the server uses; docs/bms.md carries this output, and a test
 * fails when the two differ.
 */
#include <stdio.h>

#include "bmsmap.h"

int
main(void)
{
	bmsmap_print_markdown(stdout);
	return 0;
}
