public class Main {
    // CRLF line endings here
    public static void main(String[] args) {
        int total = 0;
        for (int i = 0; i < 1000000; i++) {
            total += i % 7;
        }


        System.out.println("total=" + total + " \u00e9");   
        String s = "It's \"quoted\" and they'll say we'd've";
    }
}
