#!/usr/bin/env python3
"""Run one golden-output script test for mini (see docs/testing.md).

A test is tests/scripts/<area>/NAME.mini plus sidecar files:

  NAME.out      expected stdout, exact
  NAME.grep     regexes (one a line) that must each match somewhere in
                stdout; a line starting with '!' must NOT match.  Used where
                the exact text is mini's own business (--dis, --version).
  NAME.err      expected stderr, exact after normalisation (see below)
  NAME.errgrep  like NAME.grep, for stderr
  NAME.code     expected exit status (default 0)
  NAME.args     command-line arguments, one a line.  They go BEFORE the
                script path unless a line reads {script}, which marks where
                the script path goes (so later lines become sys.argv[1:]).
  NAME.stdin    fed to standard input (default: empty)
  NAME.env      extra environment variables, KEY=VALUE a line; {dir} in a
                value is replaced by the test's directory

Without NAME.err or NAME.errgrep, stderr must be empty.  A sanitizer report
or a death by signal always fails the test.

mini runs as `mini ARGS NAME.mini` with cwd = the script's directory, so
the file name in messages is the name as given on the command line.

Unless the script's first line is `# mini-only`, CPython runs it too and
must produce the same stdout and exit status (stderr is not compared: its
tracebacks legitimately name .py files).  CPython cannot import .mini
files, so it runs in a scratch copy of the area directory in which every
X.mini also exists as X.py.

Usage:
  run_script.py --mini BUILD/mini [--python /usr/bin/python3] SCRIPT
  run_script.py --python-only [--python P] SCRIPT...   (check goldens vs CPython)
  run_script.py --update [--python P] SCRIPT...        (rewrite NAME.out from CPython)
  run_script.py --example --mini M [--python P] FILE   (examples/: exit 0,
                       empty stderr, stdout == CPython's unless `# mini-only`)
Exit status 0 when every check passes, 1 otherwise.
"""

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

TIMEOUT = 30

# Lines sanitizers print that are not errors (ASan notes about unusual
# stacks when the GC scans thread stacks, etc.).
BENIGN_STDERR = re.compile(r'^==\d+==WARNING:.*\n?', re.M)
SANITIZER_ERR = re.compile(r'ERROR: (Address|Leak|Thread|UndefinedBehavior)Sanitizer'
                           r'|runtime error: |SUMMARY: \w+Sanitizer')


def read_text(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path, 'rb') as f:
        return f.read().decode('utf-8', 'replace')


def read_lines(path):
    text = read_text(path)
    if text is None:
        return None
    return [line for line in text.split('\n') if line != '']


def normalise(text, script_dir):
    """Make stderr comparable: drop the absolute script directory (so a
    module's path prints as it would relative to cwd) and hide addresses."""
    for d in {os.path.realpath(script_dir), os.path.abspath(script_dir)}:
        text = text.replace(d + os.sep, '')
    text = re.sub(r'0x[0-9a-fA-F]{4,}', '0x...', text)
    return text


def diff(expected, actual, what):
    lines = difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                 'expected ' + what, 'actual ' + what)
    out = ''.join(l if l.endswith('\n') else l + '\n\\ No newline at end of file\n'
                  for l in lines)
    return out


def grep_check(patterns, text, what):
    """Return a list of failure messages for a .grep/.errgrep file."""
    fails = []
    for pat in patterns:
        negate = pat.startswith('!')
        if negate:
            pat = pat[1:]
        found = re.search(pat, text, re.M) is not None
        if found == negate:
            fails.append('%s %s /%s/' % (what, 'must not match' if negate else 'does not match', pat))
    return fails


def build_argv(exe_argv, script_name, args):
    if args is None:
        args = []
    if '{script}' in args:
        return exe_argv + [script_name if a == '{script}' else a for a in args]
    return exe_argv + args + [script_name]


def run(argv, cwd, stdin_data, env):
    try:
        p = subprocess.run(argv, cwd=cwd, input=stdin_data, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b'').decode('utf-8', 'replace'), \
            (e.stderr or b'').decode('utf-8', 'replace')
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def describe_status(code):
    if code is None:
        return 'timed out after %ds' % TIMEOUT
    if code < 0:
        return 'killed by signal %d' % -code
    return 'exit %d' % code


# Variables that would change how mini runs a test; tests set them in NAME.env.
MINI_VARS = ('MINIPATH', 'MINI_GIL', 'MINI_SWITCH_INTERVAL', 'MINI_SWITCH_INSTRUCTIONS')


def mini_env(extra=None):
    env = dict(os.environ)
    for k in MINI_VARS:
        env.pop(k, None)
    env.update(extra or {})
    return env


def python_env(extra=None):
    env = dict(os.environ)
    for k in ('PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'PYTHONWARNINGS'):
        env.pop(k, None)
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    env['PYTHONIOENCODING'] = 'utf-8'
    env.update(extra or {})
    return env


def python_scratch(script_dir):
    """Copy the area directory to a scratch dir, adding X.py next to every
    X.mini so `import X` works under CPython."""
    tmp = tempfile.mkdtemp(prefix='mini-pytest-')
    dst = os.path.join(tmp, os.path.basename(script_dir))
    shutil.copytree(script_dir, dst, symlinks=True)
    for root, _dirs, files in os.walk(dst):
        for f in files:
            if f.endswith('.mini'):
                shutil.copyfile(os.path.join(root, f), os.path.join(root, f[:-5] + '.py'))
    return tmp, dst


class Test:
    def __init__(self, script):
        self.script = os.path.abspath(script)
        self.dir = os.path.dirname(self.script)
        self.name = os.path.basename(self.script)
        self.base = self.script[:-len('.mini')] if self.script.endswith('.mini') else self.script
        self.out = read_text(self.base + '.out')
        self.grep = read_lines(self.base + '.grep')
        self.err = read_text(self.base + '.err')
        self.errgrep = read_lines(self.base + '.errgrep')
        code = read_text(self.base + '.code')
        self.code = int(code.strip()) if code is not None else 0
        self.args = read_lines(self.base + '.args')
        stdin = None
        if os.path.exists(self.base + '.stdin'):
            with open(self.base + '.stdin', 'rb') as f:
                stdin = f.read()
        self.stdin = stdin if stdin is not None else b''
        with open(self.script, 'rb') as f:
            first = f.readline()
        self.mini_only = first.strip() == b'# mini-only'
        self.env = {}
        for line in read_lines(self.base + '.env') or []:
            k, _, v = line.partition('=')
            self.env[k.strip()] = v.replace('{dir}', self.dir)

    def run_python(self, python):
        tmp, dst = python_scratch(self.dir)
        try:
            argv = build_argv([python], self.name, self.args)
            env = {k: v.replace(self.dir, dst) for k, v in self.env.items()}
            return run(argv, dst, self.stdin, python_env(env))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def check_stdout(self, who, stdout):
        fails = []
        if self.out is not None and stdout != self.out:
            fails.append('%s: stdout differs from %s\n%s' % (
                who, os.path.basename(self.base) + '.out', diff(self.out, stdout, 'stdout')))
        if self.grep is not None:
            fails += ['%s: %s' % (who, m) for m in grep_check(self.grep, stdout, 'stdout')]
        return fails

    def check_mini(self, mini):
        argv = build_argv([mini], self.name, self.args)
        code, stdout, stderr = run(argv, self.dir, self.stdin, mini_env(self.env))
        fails = []
        if code is None or code < 0:
            fails.append('mini: %s' % describe_status(code))
        elif code != self.code:
            fails.append('mini: expected exit %d, got %d' % (self.code, code))
        if SANITIZER_ERR.search(stderr):
            fails.append('mini: sanitizer report on stderr')
        fails += self.check_stdout('mini', stdout)
        nerr = normalise(stderr, self.dir)
        if self.err is not None and nerr != self.err:
            fails.append('mini: stderr differs from %s\n%s' % (
                os.path.basename(self.base) + '.err', diff(self.err, nerr, 'stderr')))
        if self.errgrep is not None:
            fails += ['mini: %s' % m for m in grep_check(self.errgrep, nerr, 'stderr')]
        if self.err is None and self.errgrep is None and BENIGN_STDERR.sub('', stderr) != '':
            fails.append('mini: unexpected stderr (add NAME.err or NAME.errgrep if intended)')
        if fails:
            fails.append('mini: command: %s   (cwd %s)' % (' '.join(argv), self.dir))
            if stderr and self.err is None:
                fails.append('mini: stderr was:\n' + stderr[-4000:])
        return fails

    def check_python(self, python):
        if self.mini_only:
            return []
        code, stdout, stderr = self.run_python(python)
        fails = []
        if code != self.code:
            fails.append('python3: expected exit %d, got %s' % (self.code, describe_status(code)))
        fails += self.check_stdout('python3', stdout)
        if fails and stderr:
            fails.append('python3: stderr was:\n' + stderr[-4000:])
        return fails


def run_example(path, mini, python):
    path = os.path.abspath(path)
    d, name = os.path.split(path)
    fails = []
    code, out, err = run([mini, name], d, b'', mini_env())
    if code != 0:
        fails.append('mini: %s' % describe_status(code))
    if SANITIZER_ERR.search(err) or BENIGN_STDERR.sub('', err):
        fails.append('mini: stderr:\n' + err[-4000:])
    with open(path, 'rb') as f:
        mini_only = f.readline().strip() == b'# mini-only'
    if python and not mini_only:
        tmp, dst = python_scratch(d)
        try:
            pcode, pout, perr = run([python, name], dst, b'', python_env())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if pcode != 0:
            fails.append('python3: %s\n%s' % (describe_status(pcode), perr[-4000:]))
        elif out != pout:
            fails.append('stdout of mini differs from python3:\n' + diff(pout, out, 'stdout'))
    return fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mini', help='path of the mini binary')
    ap.add_argument('--python', default='/usr/bin/python3' if os.path.exists('/usr/bin/python3')
                    else 'python3', help='CPython used as the oracle')
    ap.add_argument('--no-python', action='store_true', help='skip the CPython run')
    ap.add_argument('--python-only', action='store_true', help='only check goldens against CPython')
    ap.add_argument('--update', action='store_true',
                    help='rewrite NAME.out (and NAME.code) from CPython for python-compatible scripts')
    ap.add_argument('--example', action='store_true', help='run an examples/ program')
    ap.add_argument('scripts', nargs='+')
    a = ap.parse_args()

    if a.example:
        if not a.mini:
            ap.error('--example needs --mini')
        status = 0
        for s in a.scripts:
            fails = run_example(s, a.mini, None if a.no_python else a.python)
            if fails:
                status = 1
                print('FAIL %s\n%s' % (s, '\n'.join(fails)))
        return status

    if not (a.mini or a.python_only or a.update):
        ap.error('give --mini PATH (or --python-only / --update)')

    status = 0
    for s in a.scripts:
        t = Test(s)
        if a.update:
            if t.mini_only:
                print('skip (mini-only) %s' % s)
                continue
            code, out, err = t.run_python(a.python)
            with open(t.base + '.out', 'w') as f:
                f.write(out)
            if code != 0:
                with open(t.base + '.code', 'w') as f:
                    f.write('%d\n' % code)
            elif os.path.exists(t.base + '.code'):
                os.remove(t.base + '.code')
            print('updated %s (%s)' % (s, describe_status(code)))
            continue
        fails = []
        if t.out is None and t.grep is None:
            # A helper module, not a test.  Only an error when asked for by name.
            print('skip %s (no .out or .grep: a helper module?)' % s)
            if len(a.scripts) == 1:
                status = 1
            continue
        if a.mini and not a.python_only:
            fails += t.check_mini(a.mini)
        if not a.no_python:
            fails += t.check_python(a.python)
        if fails:
            status = 1
            print('FAIL %s\n%s\n' % (s, '\n'.join(fails)))
        elif len(a.scripts) > 1:
            print('ok   %s' % s)
    return status


if __name__ == '__main__':
    sys.exit(main())
