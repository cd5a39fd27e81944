#include "connectors/source.h"


struct source *source_new(const struct config *cfg, struct arena *arena, struct diag *d)
{
	switch (cfg->source.type) {
	case SOURCE_CSV:
		return csv_source_new(cfg, arena, d);
	case SOURCE_LDAP:
		return ldap_source_new(cfg, arena, d);
	}
	diag_set(d, ST_INPUT, "unknown source.type");
	return NULL;
}

void source_close(struct source *s)
{
	if (s)
		s->ops->close(s);
}
