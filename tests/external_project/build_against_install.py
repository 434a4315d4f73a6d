"""Builds against an installed Baton SDK from outside the tree, and runs the result against a
real baton-node. One step per run, so that ctest runs them as separate tests:

  install   cmake --install BUILD --prefix PREFIX (into an empty PREFIX)
  c, cxx    configure and build c/ or cxx/ in a temporary folder, finding the SDK with
            find_package(Baton) (--find package) or baton-appmonitor.pc (--find pkg-config),
            then run the program against a node
  python    run Digi's usage example on the installed digidevice/baton packages

The node binary comes from $BATON_NODE.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from node_process import NodeProcess  # noqa: E402  (shared with the Python SDK tests)

DEADLINE_S = 60  # a configure and build on a busy two-core machine


def run(argv, **kwargs):
    """Runs a command; on failure shows its output and stops the test."""
    print("+", " ".join(argv), flush=True)
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=DEADLINE_S, **kwargs)
    if result.returncode != 0:
        sys.exit(f"FAILED (exit {result.returncode}):\n{result.stdout}")
    return result.stdout


def install(args):
    shutil.rmtree(args.prefix, ignore_errors=True)
    run([args.cmake, "--install", args.baton_build, "--prefix", args.prefix])
    for path in ["include/baton/appmonitor.h", "include/baton/appmonitor.hpp",
                 f"{args.libdir}/cmake/Baton/BatonConfig.cmake",
                 f"{args.libdir}/cmake/Baton/BatonConfigVersion.cmake",
                 f"{args.libdir}/pkgconfig/baton-appmonitor.pc",
                 f"{args.python_dir}/baton/appmonitor.py",
                 f"{args.python_dir}/digidevice/appmonitor.py"]:
        if not os.path.exists(os.path.join(args.prefix, path)):
            sys.exit(f"FAILED: {path} is not installed")


def check_found_in_prefix(build_dir, args):
    """The SDK came from our prefix, not from a Baton installed elsewhere on the machine."""
    wanted = "Baton_DIR:PATH=" if args.find == "package" else "pkgcfg_lib_BATON_baton-appmonitor:"
    with open(os.path.join(build_dir, "CMakeCache.txt"), encoding="utf-8") as f:
        found = [line.strip() for line in f if line.startswith(wanted)]
    prefix = os.path.realpath(args.prefix)
    if not found or not os.path.realpath(found[0].split("=", 1)[1]).startswith(prefix + "/"):
        sys.exit(f"FAILED: the SDK was not found in {prefix}: {found}")


def build_and_run(args, workdir):
    build_dir = os.path.join(workdir, "build")
    env = dict(os.environ)
    configure = [args.cmake, "-S", os.path.join(HERE, args.step), "-B", build_dir,
                 "-G", args.generator, f"-DBATON_FIND={args.find}"]
    if args.make_program:
        configure.append(f"-DCMAKE_MAKE_PROGRAM={args.make_program}")
    if args.step == "c":
        configure.append(f"-DCMAKE_C_COMPILER={args.c_compiler}")
    else:
        configure.append(f"-DCMAKE_CXX_COMPILER={args.cxx_compiler}")
    if args.sanitize_flags:
        # The library of a sanitizer build needs the sanitizer runtimes loaded first, which only
        # a program built with the same flags does.
        configure += [f"-DCMAKE_C_FLAGS={args.sanitize_flags}",
                      f"-DCMAKE_CXX_FLAGS={args.sanitize_flags}"]
    # Each way of finding the SDK gets only its own hint.
    env.pop("PKG_CONFIG_PATH", None)
    env.pop("CMAKE_PREFIX_PATH", None)
    if args.find == "package":
        configure.append(f"-DCMAKE_PREFIX_PATH={args.prefix}")
    else:
        env["PKG_CONFIG_PATH"] = os.path.join(args.prefix, args.libdir, "pkgconfig")
    run(configure, env=env)
    check_found_in_prefix(build_dir, args)
    run([args.cmake, "--build", build_dir])
    return [os.path.join(build_dir, "consumer_" + args.step)], {}


def python_example(args):
    site = os.path.join(args.prefix, args.python_dir)
    # Only the installed packages: not the source tree's sdk/python.
    env = {"PYTHONPATH": site, "PYTHONDONTWRITEBYTECODE": "1"}
    probe = "import digidevice.appmonitor as m, baton.appmonitor as b; print(m.__file__, b.__file__)"
    for path in run([args.python, "-c", probe], env=dict(os.environ, **env)).split():
        if not path.startswith(site + "/"):
            sys.exit(f"FAILED: imported {path}, not the installed package")
    return [args.python, os.path.join(HERE, "..", "python", "digi_example.py"), "3", "0.05"], env


def run_against_node(argv, extra_env, workdir):
    node = NodeProcess(workdir)
    try:
        env = dict(os.environ, BATON_APPMONITOR=node.endpoint, **extra_env)
        print("+", " ".join(argv), flush=True)
        program = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        try:
            output, _ = program.communicate(timeout=DEADLINE_S)
        finally:
            if program.poll() is None:
                program.kill()
                program.wait()
        print(output, end="")
        log = node.log()
        if program.returncode != 0:
            sys.exit(f"FAILED: exit {program.returncode}\nnode log:\n{log}")
        for line in [f"registered pid {program.pid} ", f"unregistered pid {program.pid} "]:
            if line not in log:
                sys.exit(f"FAILED: the node did not log '{line}':\n{log}")
    finally:
        node.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["install", "c", "cxx", "python"])
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--baton-build", help="Baton's build folder (install)")
    parser.add_argument("--libdir", default="lib")
    parser.add_argument("--python-dir", required=True)
    parser.add_argument("--find", choices=["package", "pkg-config"], default="package")
    parser.add_argument("--cmake", default="cmake")
    parser.add_argument("--generator", default="Ninja")
    parser.add_argument("--make-program", default="")
    parser.add_argument("--c-compiler", default="cc")
    parser.add_argument("--cxx-compiler", default="c++")
    parser.add_argument("--sanitize-flags", default="")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()

    if args.step == "install":
        install(args)
        print("PASSED: installed into", args.prefix)
        return
    workdir = tempfile.mkdtemp(prefix="baton-ext-")
    try:
        if args.step == "python":
            argv, env = python_example(args)
        else:
            argv, env = build_and_run(args, workdir)
        run_against_node(argv, env, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"PASSED: {args.step} ({args.find if args.step != 'python' else 'installed package'})")


if __name__ == "__main__":
    main()
