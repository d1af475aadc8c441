package shapes;

import java.util.ArrayList;
import java.util.List;

public final class Shapes {
    private Shapes() {}

    /** Sums the areas; returns 0.0 for an empty list. */
    public static double totalArea(List<double[]> rects) {
        double total = 0.0;
        for (double[] r : rects) {
            total += r[0] * r[1];
        }
        return total;
    }

    public static void main(String[] args) {
        List<double[]> rs = new ArrayList<>();
        rs.add(new double[] {2.5, 4});
        System.out.println("área = " + totalArea(rs) + "\u00e9");
    }
}
