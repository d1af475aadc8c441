"""A small queue, a fixture of the mutation engine tests."""


class Queue:
    def __init__(self, limit):
        self.items = []
        self.limit = limit

    def push(self, item):
        if len(self.items) >= self.limit:
            return False
        self.items.append(item)
        return True

    def pop(self):
        if not self.items:
            return None
        first = self.items[0]
        self.items = self.items[1:]
        return first
