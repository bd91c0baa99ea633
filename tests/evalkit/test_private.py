"""Private by default: local model paths work with every network socket blocked."""

import subprocess
import sys

BLOCK = r"""
import socket, sys
def refuse(*a, **k):
    raise RuntimeError("network access attempted")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from workbench.models import load_model
for spec in sys.argv[1:]:
    m = load_model(spec)
    print(m.generate(["What is the capital of Mexico?"], max_new_tokens=4)[0].completion_tokens)
    print(round(m.loglikelihood([("Question: x\nAnswer:", " y")])[0][0], 3))
"""


def test_local_specs_run_with_sockets_blocked(tiny_model_dir, default_model):
    out = subprocess.run([sys.executable, "-c", BLOCK, str(tiny_model_dir), "default"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert len(out.stdout.split()) == 4
