"""The Hugging Face hub: is it reachable, is a model in the local HF cache, and clear errors when loading fails.

The errors tell the user what to do: offline and not cached (download it elsewhere, pass the folder), gated
(accept the licence, provide a token), no such model (check the id).
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

from harness.engine.models.errors import ModelLoadError, ModelNotFoundError


def hub_offline() -> bool:
    """True when huggingface_hub is in offline mode (HF_HUB_OFFLINE) or is not installed."""
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except ImportError:
        return True


def hub_reachable(timeout: float = 3.0) -> bool:
    """Quick TCP check of the hub endpoint (skipped, i.e. True, when a proxy is configured)."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    try:
        from huggingface_hub import constants

        url = urlparse(constants.ENDPOINT)
    except ImportError:
        return False
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def hub_cached_commit(repo_id: str, revision: str | None) -> str | None:
    """Commit of a hub model in the local HF cache (None when not cached)."""
    try:
        from huggingface_hub import try_to_load_from_cache

        p = try_to_load_from_cache(repo_id, "config.json", revision=revision)
    except Exception:  # noqa: BLE001 - any failure means "not usable from the cache"
        return None
    if isinstance(p, str) and "/snapshots/" in p:
        return p.split("/snapshots/")[1].split("/")[0]
    return None


def _exception_chain(exc: BaseException | None) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or during, outermost first."""
    out: list[BaseException] = []
    while exc is not None and exc not in out:
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def hub_error(repo_id: str, exc: BaseException | None, gated: bool = False, reason: str = "") -> ModelLoadError:
    """A clear error for a hub model that could not be loaded: offline, gated, missing or other.

    ``gated``: the model is known to be gated (a gated alias); ``reason='offline'``: the hub was not tried.
    """
    chain = _exception_chain(exc)
    names = {type(e).__name__ for e in chain}
    low = " ".join(f"{type(e).__name__}: {e}" for e in chain).lower()
    token_hint = ("it is a gated model: accept its license on huggingface.co and provide a Hugging Face token "
                  "with access (`export HF_TOKEN=hf_...` or `hf auth login`)")
    local_hint = ("Download it where the hub is reachable (e.g. `hf download "
                  f"{repo_id} --local-dir models/{repo_id.split('/')[-1]}`) and pass that local folder as the model")
    offline = reason == "offline" or bool(names & {"LocalEntryNotFoundError", "ConnectionError", "ConnectError",
                                                   "ConnectTimeout", "OfflineModeIsEnabled"}) \
        or "couldn't connect" in low or "offline mode" in low
    gated_error = "GatedRepoError" in names or any(s in low for s in ("gated repo", "401", "403", "restricted"))
    gated = gated_error or gated
    cls: type[ModelLoadError] = ModelNotFoundError
    if gated_error:
        msg = f"access to {repo_id!r} was refused by the Hugging Face hub: {token_hint}"
        cls = ModelLoadError
    elif offline:
        msg = (f"cannot load {repo_id!r}: the Hugging Face hub is unreachable (offline) and the model is not in "
               f"the local Hugging Face cache. {local_hint}" + (f"; {token_hint}" if gated else ""))
    elif "RepositoryNotFoundError" in names or any(s in low for s in ("404", "not a valid model identifier")):
        msg = f"no model {repo_id!r} on the Hugging Face hub (check the id, or pass a local folder)"
        if gated:
            msg += f"; {token_hint}"
    else:
        msg = f"cannot load {repo_id!r} from the Hugging Face hub" + (f"; {token_hint}" if gated else "")
        cls = ModelLoadError
    if chain:
        msg += f" [{type(chain[0]).__name__}: {str(chain[0]).splitlines()[0][:300] if str(chain[0]) else ''}]"
    return cls(msg)
