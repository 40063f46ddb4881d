/*
 * regmap_doc.c: prints the register map tables (markdown) from the one
 * table the code uses; docs/protocol.md carries this output, and a test
 * fails when the two differ.
 */
#include <stdio.h>

#include "regmap.h"

int
main(void)
{
	regmap_print_markdown(stdout);
	return 0;
}
