"""The exposure-notification key server on the database, in one namespace: codes
and uploads (:mod:`.en_codes`), export files, retention and the signing key
(:mod:`.en_files`).

The flow (docs/exposure-notification.md):

1. A case is confirmed; an investigator or clinic issues a single-use
   verification code for it (:func:`issue_code`, authorised and audited).
2. The person's app uploads its temporary exposure keys with the code
   (:func:`publish_keys`): all keys or none, and the code is used up only on
   success. A stored key is linked to no code, case or person.
3. Once a day, keys whose validity has ended go into signed export files in the
   public directory, with an ``index.txt`` (:func:`export_batch`).
4. Phones download the exports and match them locally; 14 days after a key's end
   it, and the exports that held it, are deleted (:func:`purge`).
"""

from outbreak.disclose.en_codes import (
    CODE_DIGITS,
    IssuedCode,
    Upload,
    code_hash,
    issue_code,
    publish_keys,
)
from outbreak.disclose.en_files import (
    EXPORT_DIR,
    INDEX,
    PUBLIC_KEY,
    ExportConfig,
    Purged,
    export_batch,
    load_signing_key,
    purge,
    signing_key,
    write_index,
)

__all__ = [
    "CODE_DIGITS",
    "EXPORT_DIR",
    "INDEX",
    "PUBLIC_KEY",
    "ExportConfig",
    "IssuedCode",
    "Purged",
    "Upload",
    "code_hash",
    "export_batch",
    "issue_code",
    "load_signing_key",
    "publish_keys",
    "purge",
    "signing_key",
    "write_index",
]
