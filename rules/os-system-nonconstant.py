import os
import subprocess


def convert(filename: str):
    # ruleid: os-system-nonconstant
    os.system("convert " + filename + " out.png")
    # ok: os-system-nonconstant
    subprocess.run(["convert", filename, "out.png"], check=True)


def list_dir(directory: str) -> str:
    # ruleid: os-system-nonconstant
    with os.popen(f"ls -la {directory}") as pipe:
        return pipe.read()


def clear_screen():
    # ok: os-system-nonconstant
    os.system("clear")
