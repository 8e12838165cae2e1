fn main() {
    ledge_build::link_mlx_runtime();
    tauri_build::build();
}
