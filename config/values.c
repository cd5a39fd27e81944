/* What the config's values mean to the rest of the program: the names of
 * enum values as the file writes them, and paths relative to the config
 * file. Leaf functions, used by the loader's parts and after loading. */
#include "config/config.h"

#include <stdlib.h>
#include <string.h>

#include "agent/base/buf.h"

const char *msg_kind_name(enum msg_kind k)
{
	static const char *const names[] = {"welcome", "username", "password"};
	return k < MSG_KINDS ? names[k] : "?";
}

const char *msg_template_name(const struct config *cfg, enum msg_kind k)
{
	static const char *const link[] = {"welcome-link", "username-link", "password-link"};
	if (cfg->passwords.delivery == DELIVER_LINK && k < MSG_KINDS)
		return link[k];
	return msg_kind_name(k);
}

const char *pw_hash_name(enum pw_hash h)
{
	static const char *const names[] = {"ssha", "ssha256", "ssha512"};
	return names[h];
}

char *config_path(const struct config *cfg, const char *path)
{
	struct buf b = BUF_INIT;

	if (!path)
		return NULL;
	if (path[0] == '/' || strcmp(path, "-") == 0 || !cfg->dir || !cfg->dir[0])
		return strdup(path);
	buf_printf(&b, "%s/%s", cfg->dir, path);
	return buf_take(&b);
}
