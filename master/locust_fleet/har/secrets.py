"""What counts as a secret in a recording, and the environment variables that stand for secrets.

A value is a secret when its name says so (a password field, an Authorization or API-key header,
a token in a query string) or when it looks like one whatever its name (a JSON Web Token). The
converter leaves secrets out unless asked (`--secrets env` writes `{{ env.NAME }}` in their place,
`--secrets keep` the recorded value)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

# Words that make a name a secret's: `password`, `newPassword`, `api_key`, `X-Auth-Token`, `sid`.
SECRET_WORDS = frozenset({
    "password", "passwd", "pass", "pwd", "passphrase", "passcode", "secret", "token", "apikey", "auth",
    "authorization", "credential", "credentials", "session", "sessionid", "sessid", "sid", "signature", "sig",
    "otp", "totp", "pin", "cvv", "cvc", "jwt", "bearer", "cookie", "ssn", "csrf", "xsrf",
})
SECRET_ENDINGS = ("password", "token", "secret", "sessionid", "sessid")
# `key` is a secret's name alone (`?key=`) or after one of these (`api_key`, `X-Goog-Api-Key`).
KEY_QUALIFIERS = frozenset({"api", "access", "private", "secret", "signing", "client", "subscription", "license", "auth"})
JWT = re.compile(r"^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
# scheme://USER:PASSWORD@ up to the last @ before the path, as the plugin's run_record.redact_url
# masks it (the converter imports nothing of the plugin).
URL_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/?#:@]*):[^/?#]*@")

MODES = ("drop", "env", "keep")


def words(name: str) -> list[str]:
    """apiKey, api_key, X-Api-Key -> ["api", "key"] (with the x- prefix kept as a word)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def is_secret_name(name: str) -> bool:
    ws = words(name)
    if any(w in SECRET_WORDS or w.endswith(SECRET_ENDINGS) for w in ws):
        return True
    return any(w == "key" and (len(ws) == 1 or (i > 0 and ws[i - 1] in KEY_QUALIFIERS)) for i, w in enumerate(ws))


def looks_secret(value: str) -> bool:
    """A value that is a credential whatever it is called: a JSON Web Token, bare or after a scheme."""
    return bool(JWT.match(value.split(" ")[-1]))


def shown_url(url: str) -> str:
    """A recorded URL as the converter's messages show it: its password and the values of its
    secret query parameters (?token=, ?api_key=, a JSON Web Token) as ***. A recording holds live
    credentials, and messages naming a request's URL printed them on the terminal."""
    url = URL_PASSWORD.sub(r"\1:***@", url)
    base, question, rest = url.partition("?")
    if not question:
        return url
    query, hash_, fragment = rest.partition("#")
    pairs = []
    for pair in query.split("&"):
        name, equals, value = pair.partition("=")
        secret = equals and (is_secret_name(unquote_plus(name)) or looks_secret(unquote_plus(value)))
        pairs.append(f"{name}=***" if secret else pair)
    return f"{base}?{'&'.join(pairs)}{hash_}{fragment}"


def env_label(name: str) -> str:
    """X-Api-Key -> X_API_KEY, newPassword -> NEW_PASSWORD, user[password] -> USER_PASSWORD."""
    label = "_".join(w.upper() for w in words(name))
    return label if label and not label[0].isdigit() else "SECRET_" + label if label else "SECRET"


@dataclass
class EnvNames:
    """Names of environment variables, one per distinct secret: the same value keeps its first
    name wherever it is sent again, a different value under a taken name gets a number
    (PASSWORD, PASSWORD_2)."""

    by_value: dict[str, str] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)

    def name(self, label: str, value: str) -> str:
        if value in self.by_value:
            return self.by_value[value]
        name, n = label, 1
        while name in self.taken:
            n += 1
            name = f"{label}_{n}"
        self.taken.add(name)
        self.by_value[value] = name
        return name
