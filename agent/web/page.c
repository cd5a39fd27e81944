#include "agent/web/page.h"

#include <string.h>

#include "agent/base/utf8.h"

enum {
	S_TITLE, S_INTRO, S_NEW, S_CONFIRM, S_BUTTON, S_HINT_LEN, S_HINT_CLASSES, S_VALID_UNTIL,
	S_PROBLEM, S_EMPTY, S_MISMATCH, S_TOO_SHORT, S_QUALITY, S_HISTORY, S_REFUSED,
	S_INVALID_T, S_INVALID, S_EXPIRED_T, S_EXPIRED, S_USED_T, S_USED, S_DONE_T, S_DONE, S_DONE_NO_URL,
	S_UNAVAILABLE_T, S_UNAVAILABLE, S_FAILED_T, S_FAILED, S_BAD_T, S_BAD, S_SIGN_IN, S_COUNT
};

struct language {
	const char *code;
	const char *s[S_COUNT];
};

/* %u, %s: filled in by page_render; each string has at most the one named
 * in its comment. */
static const struct language languages[] = {
	{"en", {
		[S_TITLE] = "Choose your password",
		[S_INTRO] = "Choose the password you will sign in with. Type it twice.",
		[S_NEW] = "New password",
		[S_CONFIRM] = "New password again",
		[S_BUTTON] = "Set my password",
		[S_HINT_LEN] = "At least %u characters.", /* %u */
		[S_HINT_CLASSES] = "Use at least %u of: lower-case letters, upper-case letters, digits, other characters.", /* %u */
		[S_VALID_UNTIL] = "This link works once, until %s.", /* %s */
		[S_PROBLEM] = "There is a problem",
		[S_EMPTY] = "Enter a new password.",
		[S_MISMATCH] = "The two passwords are not the same. Type the same password in both fields.",
		[S_TOO_SHORT] = "The password is too short for the directory's rules. Choose a longer one.",
		[S_QUALITY] = "The password does not meet the directory's quality rules. Choose a stronger one.",
		[S_HISTORY] = "You have used this password before. Choose one you have not used.",
		[S_REFUSED] = "The directory did not accept this password. Choose another one.",
		[S_INVALID_T] = "This link is not valid",
		[S_INVALID] = "The link is incomplete or was changed. Open the whole link from the message, or ask your administrator for a new one.",
		[S_EXPIRED_T] = "This link has expired",
		[S_EXPIRED] = "It worked until %s. Ask your administrator for a new link.", /* %s */
		[S_USED_T] = "This link was already used",
		[S_USED] = "Your password was already set with it, or a newer link replaced it. If you did not set it, ask your administrator for a new link.",
		[S_DONE_T] = "Your password is set",
		[S_DONE] = "You can now sign in with your username and your new password:",
		[S_DONE_NO_URL] = "You can now sign in with your username and your new password.",
		[S_UNAVAILABLE_T] = "Please try again later",
		[S_UNAVAILABLE] = "The directory cannot be reached right now. Nothing was changed, and your link still works.",
		[S_FAILED_T] = "Your password could not be set",
		[S_FAILED] = "The directory refused the change. Ask your administrator for help.",
		[S_BAD_T] = "This request cannot be handled",
		[S_BAD] = "Open the link from the message and use the form on that page.",
		[S_SIGN_IN] = "Sign in",
	}},
	{"de", {
		[S_TITLE] = "Wählen Sie Ihr Passwort",
		[S_INTRO] = "Wählen Sie das Passwort, mit dem Sie sich anmelden. Geben Sie es zweimal ein.",
		[S_NEW] = "Neues Passwort",
		[S_CONFIRM] = "Neues Passwort wiederholen",
		[S_BUTTON] = "Passwort festlegen",
		[S_HINT_LEN] = "Mindestens %u Zeichen.",
		[S_HINT_CLASSES] = "Verwenden Sie mindestens %u von: Kleinbuchstaben, Großbuchstaben, Ziffern, andere Zeichen.",
		[S_VALID_UNTIL] = "Dieser Link gilt einmal und bis %s.",
		[S_PROBLEM] = "Es gibt ein Problem",
		[S_EMPTY] = "Geben Sie ein neues Passwort ein.",
		[S_MISMATCH] = "Die beiden Passwörter stimmen nicht überein. Geben Sie in beide Felder dasselbe Passwort ein.",
		[S_TOO_SHORT] = "Das Passwort ist für die Regeln des Verzeichnisses zu kurz. Wählen Sie ein längeres.",
		[S_QUALITY] = "Das Passwort erfüllt die Qualitätsregeln des Verzeichnisses nicht. Wählen Sie ein stärkeres.",
		[S_HISTORY] = "Dieses Passwort haben Sie schon einmal verwendet. Wählen Sie ein anderes.",
		[S_REFUSED] = "Das Verzeichnis hat dieses Passwort nicht angenommen. Wählen Sie ein anderes.",
		[S_INVALID_T] = "Dieser Link ist ungültig",
		[S_INVALID] = "Der Link ist unvollständig oder wurde verändert. Öffnen Sie den ganzen Link aus der Nachricht oder bitten Sie Ihren Administrator um einen neuen.",
		[S_EXPIRED_T] = "Dieser Link ist abgelaufen",
		[S_EXPIRED] = "Er galt bis %s. Bitten Sie Ihren Administrator um einen neuen Link.",
		[S_USED_T] = "Dieser Link wurde bereits verwendet",
		[S_USED] = "Ihr Passwort wurde damit bereits gesetzt, oder ein neuerer Link hat ihn ersetzt. Falls Sie es nicht gesetzt haben, bitten Sie Ihren Administrator um einen neuen Link.",
		[S_DONE_T] = "Ihr Passwort ist gesetzt",
		[S_DONE] = "Sie können sich jetzt mit Ihrem Benutzernamen und Ihrem neuen Passwort anmelden:",
		[S_DONE_NO_URL] = "Sie können sich jetzt mit Ihrem Benutzernamen und Ihrem neuen Passwort anmelden.",
		[S_UNAVAILABLE_T] = "Bitte versuchen Sie es später noch einmal",
		[S_UNAVAILABLE] = "Das Verzeichnis ist gerade nicht erreichbar. Es wurde nichts geändert, und Ihr Link gilt weiter.",
		[S_FAILED_T] = "Ihr Passwort konnte nicht gesetzt werden",
		[S_FAILED] = "Das Verzeichnis hat die Änderung abgelehnt. Bitten Sie Ihren Administrator um Hilfe.",
		[S_BAD_T] = "Diese Anfrage kann nicht bearbeitet werden",
		[S_BAD] = "Öffnen Sie den Link aus der Nachricht und verwenden Sie das Formular auf dieser Seite.",
		[S_SIGN_IN] = "Anmelden",
	}},
	{"fr", {
		[S_TITLE] = "Choisissez votre mot de passe",
		[S_INTRO] = "Choisissez le mot de passe avec lequel vous vous connecterez. Saisissez-le deux fois.",
		[S_NEW] = "Nouveau mot de passe",
		[S_CONFIRM] = "Nouveau mot de passe, à nouveau",
		[S_BUTTON] = "Enregistrer mon mot de passe",
		[S_HINT_LEN] = "Au moins %u caractères.",
		[S_HINT_CLASSES] = "Utilisez au moins %u parmi : minuscules, majuscules, chiffres, autres caractères.",
		[S_VALID_UNTIL] = "Ce lien ne sert qu'une fois, jusqu'au %s.",
		[S_PROBLEM] = "Il y a un problème",
		[S_EMPTY] = "Saisissez un nouveau mot de passe.",
		[S_MISMATCH] = "Les deux mots de passe sont différents. Saisissez le même mot de passe dans les deux champs.",
		[S_TOO_SHORT] = "Le mot de passe est trop court pour les règles de l'annuaire. Choisissez-en un plus long.",
		[S_QUALITY] = "Le mot de passe ne respecte pas les règles de qualité de l'annuaire. Choisissez-en un plus robuste.",
		[S_HISTORY] = "Vous avez déjà utilisé ce mot de passe. Choisissez-en un autre.",
		[S_REFUSED] = "L'annuaire n'a pas accepté ce mot de passe. Choisissez-en un autre.",
		[S_INVALID_T] = "Ce lien n'est pas valide",
		[S_INVALID] = "Le lien est incomplet ou a été modifié. Ouvrez le lien entier du message, ou demandez-en un nouveau à votre administrateur.",
		[S_EXPIRED_T] = "Ce lien a expiré",
		[S_EXPIRED] = "Il était valable jusqu'au %s. Demandez un nouveau lien à votre administrateur.",
		[S_USED_T] = "Ce lien a déjà servi",
		[S_USED] = "Votre mot de passe a déjà été choisi avec ce lien, ou un lien plus récent l'a remplacé. Si ce n'est pas vous, demandez un nouveau lien à votre administrateur.",
		[S_DONE_T] = "Votre mot de passe est enregistré",
		[S_DONE] = "Vous pouvez maintenant vous connecter avec votre identifiant et votre nouveau mot de passe :",
		[S_DONE_NO_URL] = "Vous pouvez maintenant vous connecter avec votre identifiant et votre nouveau mot de passe.",
		[S_UNAVAILABLE_T] = "Veuillez réessayer plus tard",
		[S_UNAVAILABLE] = "L'annuaire est injoignable pour le moment. Rien n'a été modifié, et votre lien reste valable.",
		[S_FAILED_T] = "Votre mot de passe n'a pas pu être enregistré",
		[S_FAILED] = "L'annuaire a refusé la modification. Demandez de l'aide à votre administrateur.",
		[S_BAD_T] = "Cette requête ne peut pas être traitée",
		[S_BAD] = "Ouvrez le lien du message et utilisez le formulaire de cette page.",
		[S_SIGN_IN] = "Se connecter",
	}},
};

const char page_css[] =
	"body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;background:#f4f5f7;color:#1b1f24}\n"
	"main{max-width:32rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:.5rem;"
	"box-shadow:0 1px 3px rgba(0,0,0,.15)}\n"
	"h1{font-size:1.5rem;margin-top:0}\n"
	"label{display:block;font-weight:600;margin-top:1rem}\n"
	"input[type=password]{display:block;width:100%;box-sizing:border-box;font-size:1rem;padding:.5rem;"
	"margin-top:.25rem;border:2px solid #5a6270;border-radius:.25rem}\n"
	"input:focus,button:focus,a:focus{outline:3px solid #f5b400;outline-offset:2px}\n"
	"button{margin-top:1.5rem;font-size:1rem;padding:.6rem 1.2rem;background:#0b5cad;color:#fff;border:0;"
	"border-radius:.25rem;cursor:pointer}\n"
	".error{border:3px solid #b3261e;padding:.5rem 1rem;margin-bottom:1rem}\n"
	".error h2{font-size:1.1rem;color:#b3261e;margin:.25rem 0}\n"
	".hint{color:#3d4450;font-size:.95rem}\n";

static void escape(struct buf *out, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&': buf_adds(out, "&amp;"); break;
		case '<': buf_adds(out, "&lt;"); break;
		case '>': buf_adds(out, "&gt;"); break;
		case '"': buf_adds(out, "&quot;"); break;
		case '\'': buf_adds(out, "&#39;"); break;
		default: buf_addc(out, *s);
		}
}

/* One string with its %u or %s filled in, escaped. */
static void text(struct buf *out, const char *fmt, unsigned u, const char *s)
{
	const char *p = strchr(fmt, '%');
	struct buf b = BUF_INIT;

	if (p && p[1] == 'u')
		buf_printf(&b, "%.*s%u%s", (int)(p - fmt), fmt, u, p + 2);
	else if (p && p[1] == 's')
		buf_printf(&b, "%.*s%s%s", (int)(p - fmt), fmt, s ? s : "", p + 2);
	else
		buf_adds(&b, fmt);
	escape(out, buf_str(&b));
	buf_release(&b);
}

static const struct language *language_of(const char *lang)
{
	size_t i;

	for (i = 0; lang && i < sizeof languages / sizeof *languages; i++)
		if (strcmp(lang, languages[i].code) == 0)
			return &languages[i];
	return &languages[0];
}

/* "de", "de_DE", "de-AT" -> the supported language, or NULL. */
static const char *supported(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || (len > 2 && s[2] != '_' && s[2] != '-'))
		return NULL;
	for (i = 0; i < sizeof languages / sizeof *languages; i++)
		if ((s[0] | 0x20) == languages[i].code[0] && (s[1] | 0x20) == languages[i].code[1])
			return languages[i].code;
	return NULL;
}

const char *page_language(const char *token_locale, const char *accept_language)
{
	const char *p = accept_language, *l;

	if (token_locale && (l = supported(token_locale, strlen(token_locale))))
		return l;
	/* In the order given; q-values are not weighed (browsers list the
	 * preferred first). */
	while (p && *p) {
		size_t n;
		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, ",;");
		if ((l = supported(p, n)))
			return l;
		p += n;
		p += strcspn(p, ",");
	}
	return "en";
}

static void head(struct buf *out, const struct language *L, const char *title)
{
	buf_printf(out, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", L->code);
	buf_adds(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		      "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>");
	escape(out, title);
	buf_adds(out, "</title>\n<link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body>\n<main>\n<h1>");
	escape(out, title);
	buf_adds(out, "</h1>\n");
}

static void form(struct buf *out, const struct language *L, const struct page *p)
{
	static const int error_string[] = {
		[PERR_NONE] = -1,	    [PERR_EMPTY] = S_EMPTY,	[PERR_MISMATCH] = S_MISMATCH,
		[PERR_TOO_SHORT] = S_TOO_SHORT, [PERR_QUALITY] = S_QUALITY, [PERR_HISTORY] = S_HISTORY,
		[PERR_REFUSED] = S_REFUSED,
	};
	const char *invalid = p->error != PERR_NONE ? " aria-invalid=\"true\"" : "";

	if (p->error != PERR_NONE) {
		/* Read out first, and where the focus goes. */
		buf_adds(out, "<div class=\"error\" role=\"alert\" id=\"problem\" tabindex=\"-1\">\n<h2>");
		escape(out, L->s[S_PROBLEM]);
		buf_adds(out, "</h2>\n<p><a href=\"#password\">");
		escape(out, L->s[error_string[p->error]]);
		buf_adds(out, "</a></p>\n</div>\n");
	}
	buf_adds(out, "<p>");
	escape(out, L->s[S_INTRO]);
	buf_adds(out, "</p>\n<form method=\"post\" action=\"");
	escape(out, p->action);
	buf_adds(out, "\" accept-charset=\"utf-8\">\n<input type=\"hidden\" name=\"token\" value=\"");
	escape(out, p->token);
	buf_adds(out, "\">\n<label for=\"password\">");
	escape(out, L->s[S_NEW]);
	buf_adds(out, "</label>\n<p class=\"hint\" id=\"hint\">");
	if (p->min_length)
		text(out, L->s[S_HINT_LEN], p->min_length, NULL);
	if (p->min_classes > 1) {
		buf_addc(out, ' ');
		text(out, L->s[S_HINT_CLASSES], p->min_classes, NULL);
	}
	buf_printf(out, "</p>\n<input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"new-password\""
			" required aria-describedby=\"hint\"%s>\n<label for=\"confirm\">", invalid);
	escape(out, L->s[S_CONFIRM]);
	buf_printf(out, "</label>\n<input type=\"password\" id=\"confirm\" name=\"confirm\" autocomplete=\"new-password\""
			" required%s>\n<button type=\"submit\">", invalid);
	escape(out, L->s[S_BUTTON]);
	buf_adds(out, "</button>\n</form>\n");
	if (p->expires) {
		buf_adds(out, "<p class=\"hint\">");
		text(out, L->s[S_VALID_UNTIL], 0, p->expires);
		buf_adds(out, "</p>\n");
	}
}

void page_render(const struct page *p, struct buf *out)
{
	static const int titles[][2] = {
		[PAGE_FORM] = {S_TITLE, -1},
		[PAGE_INVALID] = {S_INVALID_T, S_INVALID},
		[PAGE_EXPIRED] = {S_EXPIRED_T, S_EXPIRED},
		[PAGE_USED] = {S_USED_T, S_USED},
		[PAGE_DONE] = {S_DONE_T, S_DONE},
		[PAGE_UNAVAILABLE] = {S_UNAVAILABLE_T, S_UNAVAILABLE},
		[PAGE_FAILED] = {S_FAILED_T, S_FAILED},
		[PAGE_BAD_REQUEST] = {S_BAD_T, S_BAD},
	};
	const struct language *L = language_of(p->lang);
	int body = titles[p->kind][1];

	head(out, L, L->s[titles[p->kind][0]]);
	if (p->kind == PAGE_FORM) {
		form(out, L, p);
	} else {
		if (p->kind == PAGE_DONE && !p->login_url)
			body = S_DONE_NO_URL;
		buf_adds(out, p->kind == PAGE_DONE ? "<p>" : "<p role=\"alert\">");
		text(out, L->s[body], 0, p->expires);
		buf_adds(out, "</p>\n");
		if (p->login_url && (p->kind == PAGE_DONE || p->kind == PAGE_USED)) {
			buf_adds(out, "<p><a href=\"");
			escape(out, p->login_url);
			buf_adds(out, "\">");
			escape(out, p->kind == PAGE_DONE ? p->login_url : L->s[S_SIGN_IN]);
			buf_adds(out, "</a></p>\n");
		}
	}
	buf_adds(out, "</main>\n</body>\n</html>\n");
}

int form_value(const char *body, size_t len, const char *name, struct buf *out)
{
	const char *p = body ? body : "", *end = p + (body ? len : 0);
	size_t nlen = strlen(name);
	int found = 0;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *f_end = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(f_end - p));

		if (eq && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
			const char *v;
			if (found++)
				return -1;
			for (v = eq + 1; v < f_end; v++) {
				if (*v == '+') {
					buf_addc(out, ' ');
				} else if (*v == '%') {
					int hi = v + 2 < f_end ? hex_digit(v[1]) : -1, lo = hi >= 0 ? hex_digit(v[2]) : -1;
					if (lo < 0)
						return -1;
					buf_addc(out, (char)(hi << 4 | lo));
					v += 2;
				} else {
					buf_addc(out, *v);
				}
			}
		}
		p = f_end + 1;
	}
	if (out->failed)
		return -1;
	/* What a browser sends is UTF-8 (the form says so); no NUL. */
	if (found && (utf8_validate(out->data ? out->data : "", out->len) != out->len ||
		      memchr(out->data ? out->data : "", '\0', out->len)))
		return -1;
	return found;
}
