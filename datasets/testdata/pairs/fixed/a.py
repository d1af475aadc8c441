def mean(xs):
    if not xs:
        return 0.0
    total = 0
    for x in xs:
        total += x
    return total / len(xs)
