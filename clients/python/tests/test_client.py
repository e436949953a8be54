"""Tests of renderloop_reward against a real reward service (started by serve's PythonClientsIT, which sets
RENDERLOOP_REWARD_URL and RENDERLOOP_REWARD_TOKEN), and of the retry logic against a local stand-in server."""

import http.server
import json
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import renderloop_reward as rr  # noqa: E402

URL = os.environ.get("RENDERLOOP_REWARD_URL")
SMALL_URL = os.environ.get("RENDERLOOP_REWARD_SMALL_URL")
SVG_REF = ("<svg xmlns='http://www.w3.org/2000/svg' width='100' height='100'>"
           "<rect width='100' height='100' fill='white'/><circle cx='50' cy='50' r='30' fill='red'/></svg>")
SVG_NEAR = SVG_REF.replace("r='30'", "r='25'")
PLOT = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\n"


@unittest.skipUnless(URL, "RENDERLOOP_REWARD_URL is not set: run through serve's PythonClientsIT")
class AgainstTheService(unittest.TestCase):
    def test_score_answers_every_item_in_order(self):
        client = rr.RewardClient()
        results = client.score([
            {"id": "a", "domain": "svg", "answer": "```svg\n" + SVG_NEAR + "\n```", "reference_code": SVG_REF},
            {"id": "b", "domain": "svg", "code": SVG_REF, "reference_code": SVG_REF, "metrics": "all"},
        ])
        self.assertEqual(["a", "b"], [r["id"] for r in results])
        self.assertTrue(all(r["status"] == "scored" for r in results), results)
        self.assertTrue(results[0]["format_ok"])
        self.assertLess(results[0]["reward"], results[1]["reward"])
        self.assertAlmostEqual(1.0, results[1]["metrics"]["ssim"], places=9)  # "all": beyond the reward's own
        self.assertEqual({"blank", "tiled"}, set(results[0]["metrics"]))

    def test_verl_compute_score_is_batched_and_applies_the_published_rules(self):
        answers = ["Here:\n```svg\n" + SVG_NEAR + "\n```", "I cannot draw that.", "```svg\n<svg><circle\n```"]
        out = rr.compute_score(["renderloop/svg", "svg", "svg"], answers, [SVG_REF] * 3,
                               [None, {}, {"reward": "vincicoder"}], batch_size=2)
        self.assertEqual(3, len(out))
        self.assertGreater(out[0]["score"], 0.1)
        self.assertEqual(1.0, out[0]["render_ok"])
        self.assertEqual(0.0, out[1]["score"], "VinciCoder: no code block scores 0")
        self.assertAlmostEqual(0.1, out[2]["score"], places=9, msg="failed render, format met: 0.1")
        self.assertEqual(0.0, out[2]["render_ok"])

    def test_trl_reward_function_takes_strings_and_conversations(self):
        fn = rr.make_trl_reward(domain="svg")
        self.assertEqual("renderloop_reward", fn.__name__)
        rewards = fn(prompts=["draw", "draw"], completions=["```svg\n" + SVG_REF + "\n```",
                                                            [{"role": "assistant", "content": "no code"}]],
                     reference_code=[SVG_REF, SVG_REF])
        self.assertEqual(2, len(rewards))
        self.assertAlmostEqual(1.0, rewards[0], places=6)
        self.assertEqual(0.0, rewards[1])

    def test_an_unavailable_reward_raises_unless_a_failure_score_is_named(self):
        item = {"id": "x", "domain": "svg", "code": SVG_REF, "reference_code": SVG_REF,
                "reward": "arithmetic:cbb=0.2,ssim=0.8"}
        with self.assertRaises(rr.RewardUnavailable) as e:
            rr._reward_of(rr.RewardClient().score([item])[0], None)
        self.assertIn("cbb", str(e.exception))
        self.assertEqual(-1.0, rr._reward_of(rr.RewardClient().score([item])[0], -1.0))

    def test_a_bad_request_is_raised_at_once_with_the_server_message(self):
        with self.assertRaises(rr.RewardRequestError) as e:
            rr.RewardClient(max_retries=3).score([{"id": "x", "domain": "povray", "code": "x", "reference_code": "y"}])
        self.assertEqual(400, e.exception.status)
        self.assertIn("unknown domain 'povray'", str(e.exception))

    def test_a_wrong_token_is_refused(self):
        with self.assertRaises(rr.RewardRequestError) as e:
            rr.RewardClient(token="wrong").score([{"id": "x", "domain": "svg", "code": SVG_REF, "reference_code": SVG_REF}])
        self.assertEqual(401, e.exception.status)

    @unittest.skipUnless(SMALL_URL, "no small-queue service (matplotlib workers unavailable)")
    def test_concurrent_trainers_over_a_full_queue_retry_until_scored(self):
        client = rr.RewardClient(url=SMALL_URL, backoff=0.2, max_retries=30)
        results = {}

        def run(name):
            code = "import time\ntime.sleep(0.8)\n# %s\n" % name + PLOT
            results[name] = client.score([{"id": name, "domain": "matplotlib", "code": code, "reference_code": PLOT}])

        threads = [threading.Thread(target=run, args=("t%d" % i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(3, len(results))
        for name, r in results.items():
            self.assertEqual("scored", r[0]["status"], r)


class _StandIn(http.server.BaseHTTPRequestHandler):
    answers = []
    seen = []

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        status, headers, body = _StandIn.answers.pop(0)
        _StandIn.seen.append(status)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        data = json.dumps(body).encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Retries(unittest.TestCase):
    def setUp(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.sleeps = []
        _StandIn.seen = []

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()

    def client(self, retries):
        return rr.RewardClient(url=self.url, token="", max_retries=retries, backoff=0.5, sleep=self.sleeps.append)

    def test_429_and_5xx_are_retried_with_retry_after_then_back_off(self):
        ok = {"items": [{"id": "0", "status": "scored", "reward": 0.5}]}
        _StandIn.answers = [(429, {"Retry-After": "3"}, {"error": {"message": "queue is full"}}),
                            (503, {}, {"error": {"message": "shutting down"}}), (200, {}, ok)]
        results = self.client(5).score([{"id": "0"}])
        self.assertEqual(0.5, results[0]["reward"])
        self.assertEqual([429, 503, 200], _StandIn.seen)
        self.assertEqual(3.0, self.sleeps[0], "Retry-After is honoured")
        self.assertTrue(0.5 <= self.sleeps[1] <= 1.0, "then exponential back-off with jitter: %s" % self.sleeps)

    def test_items_past_their_deadline_are_sent_again(self):
        _StandIn.answers = [(200, {}, {"items": [{"id": "0", "status": "scored", "reward": 1.0},
                                                 {"id": "1", "status": "deadline_exceeded"}]}),
                            (200, {}, {"items": [{"id": "1", "status": "scored", "reward": 0.25}]})]
        results = self.client(2).score([{"id": "0"}, {"id": "1"}])
        self.assertEqual([1.0, 0.25], [r["reward"] for r in results])

    def test_giving_up_says_why(self):
        _StandIn.answers = [(500, {}, {"error": {"message": "boom"}})] * 3
        with self.assertRaises(rr.RewardServiceError) as e:
            self.client(2).score([{"id": "0"}])
        self.assertIn("boom", str(e.exception))
        self.assertEqual(3, len(_StandIn.seen))

    def test_4xx_is_not_retried(self):
        _StandIn.answers = [(400, {}, {"error": {"message": "items[0].domain must be one of"}})]
        with self.assertRaises(rr.RewardRequestError):
            self.client(5).score([{"id": "0"}])
        self.assertEqual([400], _StandIn.seen)


if __name__ == "__main__":
    unittest.main()
