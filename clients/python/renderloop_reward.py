"""Client of the RenderLoop reward service (``renderloop serve-reward``), standard library only.

Three ways in:

* ``RewardClient(url, token).score(items)``: one batched ``POST /v1/score``; every item's answer in order.
* ``compute_score(data_sources, solution_strs, ground_truths, extra_infos, **kwargs)``: verl's batched custom
  reward hook (``reward_model.reward_manager=batch``); returns one dict per item with ``score`` and the parts.
* ``make_trl_reward(...)`` / ``trl_reward``: a reward function for TRL's ``GRPOTrainer``
  (``reward_funcs=[trl_reward]``); returns one float per completion.

Configuration comes from arguments or the environment: ``RENDERLOOP_REWARD_URL`` (default
``http://127.0.0.1:8100``), ``RENDERLOOP_REWARD_TOKEN`` (bearer token, when the server requires one).

Retries: 429 and 5xx answers, connection errors and timeouts are retried with exponential back-off and jitter
(the server's ``Retry-After`` when it gives one), up to ``max_retries`` times; items answered
``deadline_exceeded`` or ``dropped`` are sent again the same way. 4xx answers are the caller's mistake and are
raised at once as ``RewardRequestError`` with the server's message.

No silent zeros: an item that cannot be scored (its reference does not render, or its reward is unavailable,
e.g. CBB without a CodeBERT model on the server) raises ``RewardUnavailable`` unless the caller names a
``failure_score`` to use instead. A program that fails to render is not such a case: it scores the published
zeros (VinciCoder: 0.1 when the format is right), as the reward defines.
"""

import json
import os
import random
import time
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8100"
_RETRY_STATUSES = {"deadline_exceeded", "dropped"}


class RewardRequestError(Exception):
    """The server refused the request (4xx): the message says which field and why."""

    def __init__(self, status, message):
        super().__init__("HTTP %d: %s" % (status, message))
        self.status = status


class RewardServiceError(Exception):
    """The service could not answer after every retry (overloaded, down, or failing)."""


class RewardUnavailable(Exception):
    """An item has no reward (see the message); pass failure_score to use a number instead."""


class RewardClient:
    """Batched calls to one reward service (or a load balancer in front of replicas). Thread-safe."""

    def __init__(self, url=None, token=None, timeout=120.0, max_retries=6, backoff=0.5, max_backoff=30.0,
                 sleep=time.sleep, rng=None):
        self.url = (url or os.environ.get("RENDERLOOP_REWARD_URL") or DEFAULT_URL).rstrip("/")
        self.token = token if token is not None else os.environ.get("RENDERLOOP_REWARD_TOKEN")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._rng = rng or random.Random()

    def _delay(self, attempt, retry_after=None):
        if retry_after is not None:
            try:
                return min(self.max_backoff, max(0.0, float(retry_after)))
            except ValueError:
                pass
        base = min(self.max_backoff, self.backoff * (2 ** attempt))
        return base * (0.5 + self._rng.random() / 2)  # jitter so that many trainers do not retry in step

    def post(self, path, body):
        """POSTs JSON and returns the decoded answer, retrying 429, 5xx and connection failures."""
        data = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        last = None
        for attempt in range(self.max_retries + 1):
            request = urllib.request.Request(self.url + path, data=data, headers=headers, method="POST")
            retry_after = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as e:
                text = e.read().decode("utf-8", "replace")
                try:
                    message = json.loads(text)["error"]["message"]
                except (ValueError, KeyError, TypeError):
                    message = text
                if e.code != 429 and e.code < 500:
                    raise RewardRequestError(e.code, message) from None
                retry_after = e.headers.get("Retry-After")
                last = "HTTP %d: %s" % (e.code, message)
            except (urllib.error.URLError, OSError, ValueError) as e:  # refused, reset, timeout, cut-off body
                last = "%s: %s" % (type(e).__name__, e)
            if attempt < self.max_retries:
                self._sleep(self._delay(attempt, retry_after))
        raise RewardServiceError("%s%s failed after %d attempts: %s" % (self.url, path, self.max_retries + 1, last))

    def score(self, items, deadline_ms=None):
        """Scores a batch: ``items`` as the API's ScoreItem dicts; returns the ScoreResult dicts in the same order.

        Items answered deadline_exceeded or dropped are sent again (with back-off) until they are scored or the
        retries run out; then they are returned as the server last answered them.
        """
        results = [None] * len(items)
        pending = list(range(len(items)))
        for attempt in range(self.max_retries + 1):
            body = {"items": [items[i] for i in pending]}
            if deadline_ms is not None:
                body["deadline_ms"] = deadline_ms
            answer = self.post("/v1/score", body)
            again = []
            for i, result in zip(pending, answer["items"]):
                results[i] = result
                if result.get("status") in _RETRY_STATUSES:
                    again.append(i)
            pending = again
            if not pending:
                break
            if attempt < self.max_retries:
                self._sleep(self._delay(attempt))
        return results


def _reward_of(result, failure_score):
    reward = result.get("reward") if result.get("status") == "scored" else None
    if reward is not None:
        return float(reward)
    if failure_score is not None:
        return float(failure_score)
    why = result.get("reward_unavailable") or result.get("error") or result.get("status")
    raise RewardUnavailable("item %s: no reward (%s)" % (result.get("id"), why))


def _domain_of(data_source, default=None):
    """verl's data_source may carry a prefix (``renderloop/svg``); the domain is its last part."""
    if data_source:
        return str(data_source).rsplit("/", 1)[-1]
    if default:
        return default
    raise ValueError("no domain: give a data_source such as 'renderloop/svg' or a domain argument")


def _item(index, domain, answer, reference_code=None, reference_image=None, reward=None):
    item = {"id": str(index), "domain": domain, "answer": answer}
    if reference_code:
        item["reference_code"] = reference_code
    if reference_image:
        item["reference_image"] = reference_image
    if reward:
        item["reward"] = reward
    return item


def _reference_image(extra):
    if not extra:
        return None
    if extra.get("reference_image_path"):
        return {"path": extra["reference_image_path"]}
    if extra.get("reference_image_base64"):
        return {"png_base64": extra["reference_image_base64"]}
    return None


_clients = {}


def _client(url=None, token=None, **options):
    key = (url, token, tuple(sorted(options.items())))
    if key not in _clients:
        _clients[key] = RewardClient(url=url, token=token, **options)
    return _clients[key]


def compute_score(data_sources, solution_strs, ground_truths, extra_infos=None, url=None, token=None, reward=None,
                  failure_score=None, batch_size=32, deadline_ms=None, **_ignored):
    """verl's batched custom reward (``custom_reward_function.name=compute_score`` with the batch reward manager).

    ``data_sources[i]`` names the domain (``svg`` or ``renderloop/svg``), ``solution_strs[i]`` is the model's
    whole answer (the program is extracted on the server as the agent extracts it), ``ground_truths[i]`` the
    reference program (may be empty when ``extra_infos[i]`` has ``reference_image_path`` or
    ``reference_image_base64``). ``extra_infos[i]["reward"]`` or ``reward`` picks the reward spec (default: the
    server's per-domain default). Returns one dict per item: ``score`` (the reward) plus ``reward_format``,
    ``reward_visual`` and ``render_ok`` for verl's logs.
    """
    extra_infos = extra_infos or [None] * len(solution_strs)
    if not (len(data_sources) == len(solution_strs) == len(ground_truths) == len(extra_infos)):
        raise ValueError("data_sources, solution_strs, ground_truths and extra_infos must have the same length")
    client = _client(url, token)
    out = []
    for start in range(0, len(solution_strs), batch_size):
        items = []
        for i in range(start, min(start + batch_size, len(solution_strs))):
            extra = extra_infos[i] or {}
            items.append(_item(i, _domain_of(data_sources[i]), solution_strs[i], ground_truths[i] or None,
                               _reference_image(extra), extra.get("reward") or reward))
        for result in client.score(items, deadline_ms=deadline_ms):
            components = result.get("components") or {}
            out.append({
                "score": _reward_of(result, failure_score),
                "reward_format": float(components.get("reward_format") or 0.0),
                "reward_visual": float(components.get("reward_visual") or 0.0),
                "render_ok": 1.0 if (result.get("render") or {}).get("status") == "ok" else 0.0,
            })
    return out


def _completion_text(completion):
    """TRL passes plain strings, or (conversational datasets) a list of messages whose last one is the answer."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content") or "")
    raise TypeError("a completion must be a string or a list of messages, got %r" % type(completion).__name__)


def make_trl_reward(url=None, token=None, domain=None, reward=None, failure_score=None, deadline_ms=None,
                    reference_column="reference_code", domain_column="domain", name="renderloop_reward"):
    """A reward function for TRL's ``GRPOTrainer`` (``reward_funcs=[make_trl_reward(...)]``).

    TRL calls it with ``prompts``, ``completions`` and the dataset's other columns as keyword lists: the reference
    program comes from ``reference_column`` (and ``reference_image_path`` when the dataset has that column), the
    domain from ``domain_column`` or ``domain``. All completions of a step go to the service as one batch.
    """

    def reward_function(prompts=None, completions=None, **columns):
        if completions is None:
            raise ValueError("TRL passes completions=...; got none")
        references = columns.get(reference_column) or [None] * len(completions)
        domains = columns.get(domain_column) or [domain] * len(completions)
        images = columns.get("reference_image_path") or [None] * len(completions)
        items = [_item(i, _domain_of(domains[i], domain), _completion_text(c), references[i],
                       {"path": images[i]} if images[i] else None, reward)
                 for i, c in enumerate(completions)]
        return [_reward_of(r, failure_score) for r in _client(url, token).score(items, deadline_ms=deadline_ms)]

    reward_function.__name__ = name  # TRL logs rewards/<name>/mean
    return reward_function


trl_reward = make_trl_reward()
