package fixture;

/** A counter, a fixture of the mutation engine tests. */
public class Counter {
    private int count;
    private final int max;

    public Counter(int max) {
        this.max = max;
    }

    public boolean inc(int by) {
        if (count + by > max) {
            return false;
        }
        count = count + by;
        return true;
    }

    public int remaining() {
        return Math.max(max - count, 0);
    }
}
