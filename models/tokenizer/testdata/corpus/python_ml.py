import numpy as np


def train(xs, ys, lr=0.001, epochs=10):
    """Train a tiny model. Don't use in production; DON'T!"""
    w = np.zeros(xs.shape[1])
    for epoch in range(epochs):
        grad = xs.T @ (xs @ w - ys) / len(ys)
        w -= lr * grad
        if epoch % 3 == 0:
            print(f"epoch {epoch}: loss={((xs @ w - ys) ** 2).mean():.4f}")
    return w
        
class Café:
    π = 3.14159
    def __init__(self, 变量=42, Ω=None):
        self.变量 = 变量  # 中文注释
        self.Ω = Ω

    def area(self, r):
        return self.π * r ** 2


if __name__ == "__main__":
    print(train(np.ones((4, 2)), np.arange(4)))
