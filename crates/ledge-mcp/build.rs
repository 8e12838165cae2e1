fn main() {
    ledge_build::link_mlx_runtime();
}
