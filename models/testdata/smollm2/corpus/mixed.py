# -*- coding: utf-8 -*-
"""Docstring with unicode: naïve café, 日本語, and emoji 🐍."""

import os


class Cache:
	def __init__(self, size=128):
		self.size = size      # tabs above, spaces here
		self._d = {}

    
    def get(self, key, default=None):
        return self._d.get(key, default)


def fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


if __name__ == "__main__":
    print(fib(30), os.getcwd(), 'it\'s', "x" * 3)
    x = [1, 2, 3]            ;y=x[::-1]
