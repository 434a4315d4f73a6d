#include "tests/support/baton_runner.hpp"

#include "harness/files.hpp"

namespace baton::test {

std::string describe(const CliRun& run) {
  return "exit " + std::to_string(run.code) + "\nstdout:\n" + run.out + "\nstderr:\n" + run.err;
}

RunningBaton BatonRunner::start(const std::vector<std::string>& args,
                                std::map<std::string, std::string> env) {
  const std::string name = dir_ / ("baton-" + std::to_string(++runs_));
  std::vector<std::string> argv{"/bin/sh", "-c",
                                "exec \"$0\" \"$@\" >\"$BATON_TEST_OUT\" 2>\"$BATON_TEST_ERR\""};
  argv.insert(argv.end(), wrapper_.begin(), wrapper_.end());
  argv.push_back(binary_path("baton"));
  argv.insert(argv.end(), args.begin(), args.end());
  if (!env.contains("BATON_TEST_OUT")) env["BATON_TEST_OUT"] = name + ".out";
  env["BATON_TEST_ERR"] = name + ".err";
  std::vector<std::string> unset;
  for (const char* variable : {"BATON_BROKER", "BATON_KEY", "BATON_BROKER_KEY"}) {
    if (!env.contains(variable)) unset.push_back(variable);
  }
  const std::string out = env["BATON_TEST_OUT"];
  return RunningBaton{ChildProcess(std::move(argv), ChildProcess::Options{env, unset, ""}), out,
                      name + ".err"};
}

CliRun BatonRunner::finish(RunningBaton& baton, std::chrono::milliseconds deadline) {
  CliRun run;
  auto status = baton.process.wait_exit(deadline);
  if (status && status->exited_normally()) run.code = status->code;
  run.out = read_file(baton.out_path);
  run.err = read_file(baton.err_path);
  return run;
}

CliRun BatonRunner::run(const std::vector<std::string>& args,
                        std::map<std::string, std::string> env) {
  RunningBaton baton = start(args, std::move(env));
  return finish(baton);
}

}  // namespace baton::test
