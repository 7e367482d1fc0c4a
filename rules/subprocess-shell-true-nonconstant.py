import subprocess


def ping(host: str):
    # ruleid: subprocess-shell-true-nonconstant
    subprocess.run(f"ping -c 1 {host}", shell=True, check=True)
    # ok: subprocess-shell-true-nonconstant
    subprocess.run(["ping", "-c", "1", host], check=True)


def archive(path: str):
    cmd = "tar czf /tmp/out.tgz " + path
    # ruleid: subprocess-shell-true-nonconstant
    return subprocess.check_output(cmd, shell=True)


def disk_usage(directory: str):
    # ruleid: subprocess-shell-true-nonconstant
    return subprocess.getoutput("du -sh %s" % directory)


def uptime():
    # ok: subprocess-shell-true-nonconstant
    return subprocess.check_output("uptime", shell=True)
